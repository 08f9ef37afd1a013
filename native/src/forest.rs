//! The match model: gradient-boosted trees over a pairing's features (`pairing.rs`), trained by
//! `payeeflow.agents.matching.train` (scikit-learn's histogram boosting) and shipped as JSON.

/// One node: a split (`x[feature] <= threshold` goes left) or, when `left` is 0, a leaf.
#[derive(Clone, Copy)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    pub value: f64,
}

pub struct Forest {
    features: usize,
    trees: Vec<Vec<Node>>,
    base: f64,
}

impl Forest {
    /// `trees` of nodes whose first is the root; `base` the raw score every tree adds to.
    pub fn new(features: usize, trees: Vec<Vec<Node>>, base: f64) -> Result<Self, String> {
        for tree in &trees {
            for node in tree {
                let leaf = node.left == 0;
                if !leaf
                    && (node.feature as usize >= features
                        || node.left as usize >= tree.len()
                        || node.right as usize >= tree.len())
                {
                    return Err("a tree node points outside its tree or its features".into());
                }
            }
            if tree.is_empty() {
                return Err("an empty tree".into());
            }
        }
        Ok(Forest {
            features,
            trees,
            base,
        })
    }

    pub fn features(&self) -> usize {
        self.features
    }

    /// The probability of the positive class for one feature vector.
    pub fn probability(&self, x: &[f64]) -> f64 {
        let mut raw = self.base;
        for tree in &self.trees {
            let mut node = &tree[0];
            while node.left != 0 {
                let next = if x[node.feature as usize] <= node.threshold {
                    node.left
                } else {
                    node.right
                };
                node = &tree[next as usize];
            }
            raw += node.value;
        }
        1.0 / (1.0 + (-raw).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stump_splits_and_sums_with_the_base() {
        let leaf = |value| Node {
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
            value,
        };
        let split = Node {
            feature: 1,
            threshold: 0.5,
            left: 1,
            right: 2,
            value: 0.0,
        };
        let forest = Forest::new(2, vec![vec![split, leaf(-1.0), leaf(1.0)]], 0.5).unwrap();
        assert!((forest.probability(&[0.0, 0.9]) - 1.0 / (1.0 + (-1.5f64).exp())).abs() < 1e-12);
        assert!((forest.probability(&[0.0, 0.5]) - 1.0 / (1.0 + (0.5f64).exp())).abs() < 1e-12);
        assert!(Forest::new(1, vec![vec![split, leaf(0.0), leaf(0.0)]], 0.0).is_err());
    }
}
