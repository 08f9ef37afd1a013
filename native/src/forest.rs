//! The match model: gradient-boosted trees over a pairing's features (`pairing.rs`), trained by
//! `payeeflow.agents.matching.train` (scikit-learn's histogram boosting) and shipped as JSON.
//!
//! Every tree's nodes lie in one array, 16 bytes a node: a payee's 12 rows walk some 250 trees
//! each, and the walk is the time.

/// One node as the trainer gives it: a split (`x[feature] <= threshold` goes left) or, when
/// `left` is 0, a leaf of `value`.
#[derive(Clone, Copy)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    pub value: f64,
}

/// A node as walked: a leaf holds its value in `threshold` and `feature` `LEAF`; a split's
/// children are given from the tree's first node.
#[derive(Clone, Copy)]
struct Packed {
    threshold: f64,
    feature: u16,
    left: u16,
    right: u16,
}

const LEAF: u16 = u16::MAX;

pub struct Forest {
    features: usize,
    nodes: Vec<Packed>,
    roots: Vec<u32>,
    base: f64,
}

impl Forest {
    /// `trees` of nodes whose first is the root; `base` the raw score every tree adds to.
    pub fn new(features: usize, trees: Vec<Vec<Node>>, base: f64) -> Result<Self, String> {
        let mut nodes = Vec::new();
        let mut roots = Vec::with_capacity(trees.len());
        for tree in &trees {
            if tree.is_empty() || tree.len() >= usize::from(LEAF) {
                return Err("a tree is empty or too large".into());
            }
            roots.push(nodes.len() as u32);
            for node in tree {
                if node.left == 0 {
                    nodes.push(Packed {
                        threshold: node.value,
                        feature: LEAF,
                        left: 0,
                        right: 0,
                    });
                    continue;
                }
                if node.feature as usize >= features
                    || node.left as usize >= tree.len()
                    || node.right as usize >= tree.len()
                {
                    return Err("a tree node points outside its tree or its features".into());
                }
                nodes.push(Packed {
                    threshold: node.threshold,
                    feature: node.feature as u16,
                    left: node.left as u16,
                    right: node.right as u16,
                });
            }
        }
        Ok(Forest {
            features,
            nodes,
            roots,
            base,
        })
    }

    pub fn features(&self) -> usize {
        self.features
    }

    /// The probability of the positive class for one feature vector.
    pub fn probability(&self, x: &[f64]) -> f64 {
        let mut raw = self.base;
        for &root in &self.roots {
            let tree = &self.nodes[root as usize..];
            let mut node = tree[0];
            while node.feature != LEAF {
                let next = if x[usize::from(node.feature)] <= node.threshold {
                    node.left
                } else {
                    node.right
                };
                node = tree[usize::from(next)];
            }
            raw += node.threshold;
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
