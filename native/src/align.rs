//! How alike two words are, for matching (`pairing.rs`): a typo's similarity (rapidfuzz's indel
//! similarity for longer words: bit-parallel, about twice as fast as the dynamic programme it
//! replaced), and the numbers that must be equal.

use rapidfuzz::distance::indel;

const TOKEN_MIN: f64 = 0.75;
const SHORT_TOKEN_MIN: f64 = 0.85;
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

fn is_digits(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// Numbers, roman numerals and single letters name different entities when they differ.
pub fn exact_only(t: &str) -> bool {
    t.chars().count() == 1 || is_digits(t) || ROMAN.contains(&t)
}

/// A number or roman numeral (not a lone letter such as an initial).
pub fn numbered(t: &str) -> bool {
    exact_only(t) && (t.chars().count() > 1 || is_digits(t))
}

/// Whether two strings are at most one edit apart (a substitution, an insertion or deletion, or
/// two neighbours swapped): optimal string alignment distance <= 1, without its table.
fn one_edit_apart<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let Some(i) = short.iter().zip(long).position(|(x, y)| x != y) else {
        return true; // equal, or one letter added at the end
    };
    if short.len() == long.len() {
        short[i + 1..] == long[i + 1..]
            || (i + 1 < short.len()
                && short[i] == long[i + 1]
                && short[i + 1] == long[i]
                && short[i + 2..] == long[i + 2..])
    } else {
        short[i..] == long[i + 1..]
    }
}

/// 0 when two tokens do not align; short ones need one typo at most, not in the first letter.
pub fn token_similarity(token: &str, other: &str) -> f64 {
    if token.is_ascii() && other.is_ascii() {
        let (a, b) = (token.as_bytes(), other.as_bytes());
        if a.len().min(b.len()) <= 5 {
            if a.first() != b.first() || !one_edit_apart(a, b) {
                return 0.0;
            }
            return SHORT_TOKEN_MIN;
        }
        return above_min(indel::normalized_similarity(
            a.iter().copied(),
            b.iter().copied(),
        ));
    }
    let a: Vec<char> = token.chars().collect();
    let b: Vec<char> = other.chars().collect();
    if a.len().min(b.len()) <= 5 {
        if a.first() != b.first() || !one_edit_apart(&a, &b) {
            return 0.0;
        }
        return SHORT_TOKEN_MIN;
    }
    above_min(indel::normalized_similarity(
        a.iter().copied(),
        b.iter().copied(),
    ))
}

/// A longer word's similarity (rapidfuzz's indel: the share of both words' letters in their
/// longest common subsequence), 0 under `TOKEN_MIN`.
fn above_min(sim: f64) -> f64 {
    if sim >= TOKEN_MIN {
        sim
    } else {
        0.0
    }
}
