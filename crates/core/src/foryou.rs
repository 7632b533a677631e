//! "For you": what one reader cares about, learnt from their own signals, and a score for any
//! paper with the one reason that weighs most in it.
//!
//! The model is small and fast on purpose (tens of milliseconds for thousands of papers, and
//! rebuilt from the signals on every request, so a new upvote changes the next page):
//!
//! * **authors**: how often each author appears among the papers the reader liked (upvoted,
//!   saved, submitted), plus the authors they follow and the names their claims confirm;
//! * **topic**: the cosine between a paper's tf-idf vector (title and abstract words) and the
//!   centroid of the liked papers' vectors;
//! * **categories** they follow;
//! * **not interested**: closeness to papers the reader turned down lowers a score.
//!
//! Scores add those parts with fixed weights ([`Weights`], measured on the dev readers of
//! `eval/foryou`); the explanation names the part that contributed most, and only signals the
//! reader really has.

use crate::Paper;
use std::collections::{HashMap, HashSet};

/// Words too common to say anything about a topic.
const STOP: &[&str] = &[
    "the", "and", "for", "with", "that", "this", "are", "from", "our", "we", "on", "of", "in",
    "to", "is", "by", "as", "an", "be", "or", "at", "it", "its", "can", "which", "these", "than",
    "has", "have", "not", "also", "such", "their", "using", "use", "used", "based", "into",
    "while", "show", "both", "more", "new", "two", "how", "may", "between", "over", "when",
    "across", "via", "been", "was", "were", "they", "them", "other", "where", "each", "all", "one",
    "only", "paper", "propose", "proposed", "approach", "method", "methods", "results", "model",
    "models", "work", "however", "further", "here", "well", "many", "most", "without", "through",
    "then", "there", "within", "will", "would", "could", "should", "does", "do",
];

/// The words of a paper's title and abstract that carry its topic: lower-case, letters and
/// digits, at least three characters, stop words out.
pub fn words(p: &Paper) -> Vec<String> {
    let stop: HashSet<&str> = STOP.iter().copied().collect();
    let mut out = Vec::new();
    for text in [&p.title, &p.abstract_text] {
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.chars().count() < 3 || w.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let w = w.to_lowercase();
            if !stop.contains(w.as_str()) {
                out.push(w);
            }
        }
    }
    out
}

/// An author's name as compared: lower-case, single spaces.
pub fn author_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// How many papers each word appears in: inverse document frequencies for tf-idf.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    df: HashMap<String, u32>,
    docs: u32,
}

impl Vocabulary {
    /// Counts one paper.
    pub fn add(&mut self, p: &Paper) {
        self.docs += 1;
        let mut seen: Vec<String> = words(p);
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *self.df.entry(w).or_insert(0) += 1;
        }
    }

    /// Papers counted.
    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// Distinct words.
    pub fn len(&self) -> usize {
        self.df.len()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// Smoothed inverse document frequency of a word (unknown words weigh most).
    pub fn idf(&self, word: &str) -> f32 {
        let df = self.df.get(word).copied().unwrap_or(0) as f32;
        ((1.0 + self.docs as f32) / (1.0 + df)).ln() + 1.0
    }

    /// A paper's tf-idf vector (sublinear tf), of unit length.
    pub fn vector(&self, p: &Paper) -> SparseVec {
        let mut tf: HashMap<String, f32> = HashMap::new();
        for w in words(p) {
            *tf.entry(w).or_insert(0.0) += 1.0;
        }
        let mut v: SparseVec = tf
            .into_iter()
            .map(|(w, n)| {
                let weight = (1.0 + n.ln()) * self.idf(&w);
                (w, weight)
            })
            .collect();
        normalize(&mut v);
        v
    }
}

/// A sparse vector over words.
pub type SparseVec = HashMap<String, f32>;

fn normalize(v: &mut SparseVec) {
    let norm = v.values().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v.values_mut() {
            *x /= norm;
        }
    }
}

fn dot(a: &SparseVec, b: &SparseVec) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small
        .iter()
        .filter_map(|(w, x)| large.get(w).map(|y| x * y))
        .sum()
}

/// Why a paper is one of the reader's signals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liked {
    /// They upvoted it.
    Upvoted,
    /// They saved it in this collection.
    Saved(String),
    /// They put it on a list.
    Submitted,
}

/// Everything one reader told this site about their interests.
#[derive(Debug, Clone, Default)]
pub struct Signals<'a> {
    /// Papers they liked, and how.
    pub liked: Vec<(&'a Paper, Liked)>,
    /// Authors they follow (names as printed).
    pub authors: Vec<String>,
    /// Names their approved claims confirm (their own papers).
    pub own_names: Vec<String>,
    /// Categories they follow (`cs.CL`, or an archive such as `cs`).
    pub categories: Vec<String>,
    /// Papers they are not interested in.
    pub disliked: Vec<&'a Paper>,
}

impl Signals<'_> {
    /// How many signals there are (the cold start asks for more below about five).
    pub fn count(&self) -> usize {
        self.liked.len()
            + self.authors.len()
            + self.own_names.len()
            + self.categories.len()
            + self.disliked.len()
    }
}

/// The weights of a score's parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Of `ln(1 + author hits)`.
    pub authors: f32,
    /// Of the topic cosine.
    pub topic: f32,
    /// Of being in a followed category.
    pub category: f32,
    /// Of closeness to turned-down papers (subtracted).
    pub disliked: f32,
    /// Hits an author followed by name counts for, against 1 per liked paper.
    pub followed_author: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            authors: 1.0,
            topic: 1.0,
            category: 0.15,
            disliked: 0.5,
            followed_author: 3.0,
        }
    }
}

/// The least cosine to a liked paper that counts as "close to" it: below, words in common are
/// too few to say so (two unrelated abstracts share a few common words).
pub const MIN_CLOSE: f32 = 0.1;

/// The strongest reason behind a score, in words that are true of the reader's data.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// An author of the paper is one they follow, or wrote papers they liked.
    Author {
        /// The author, as printed on this paper.
        name: String,
        /// Followed by name (else: from liked papers).
        followed: bool,
        /// How many liked papers have them.
        liked: u32,
    },
    /// Close in topic to this liked paper.
    Close {
        /// Its title.
        title: String,
        /// How they liked it.
        how: Liked,
    },
    /// In a category they follow.
    Category(String),
}

impl Reason {
    /// One short line for a card.
    pub fn line(&self) -> String {
        match self {
            Reason::Author {
                name,
                followed: true,
                ..
            } => format!("by {name}, whom you follow"),
            Reason::Author { name, liked: 1, .. } => {
                format!("by {name}, an author of a paper you liked")
            }
            Reason::Author { name, liked, .. } => {
                format!("by {name}, an author of {liked} papers you liked")
            }
            Reason::Close { title, how } => match how {
                Liked::Upvoted => format!("close to \u{201c}{title}\u{201d}, which you upvoted"),
                Liked::Saved(c) => {
                    format!("close to \u{201c}{title}\u{201d} in your collection {c}")
                }
                Liked::Submitted => {
                    format!("close to \u{201c}{title}\u{201d}, which you submitted")
                }
            },
            Reason::Category(c) => format!("in {c}, which you follow"),
        }
    }
}

/// A paper's score for one reader, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Higher first.
    pub score: f32,
    /// The part that weighed most (none when nothing of the reader's matched).
    pub reason: Option<Reason>,
}

/// A score and its parts.
struct Parts {
    score: f32,
    author: f32,
    topic: f32,
    category: f32,
    /// The author weighing most: name as printed, liked papers, followed.
    best: Option<(String, u32, bool)>,
}

/// One reader's model: built from their [`Signals`], then scores any paper.
pub struct Profile {
    weights: Weights,
    /// author key → (hits from liked papers, followed by name)
    authors: HashMap<String, (u32, bool)>,
    categories: Vec<crate::Category>,
    centroid: SparseVec,
    disliked: SparseVec,
    liked: Vec<(SparseVec, String, Liked)>,
    signals: usize,
}

impl Profile {
    /// The model of these signals, over this vocabulary.
    pub fn new(signals: &Signals<'_>, vocab: &Vocabulary, weights: Weights) -> Profile {
        let mut authors: HashMap<String, (u32, bool)> = HashMap::new();
        let mut centroid = SparseVec::new();
        let mut liked = Vec::with_capacity(signals.liked.len());
        for (p, how) in &signals.liked {
            let mut seen = HashSet::new();
            for a in &p.authors {
                let k = author_key(a);
                if seen.insert(k.clone()) {
                    authors.entry(k).or_insert((0, false)).0 += 1;
                }
            }
            let v = vocab.vector(p);
            for (w, x) in &v {
                *centroid.entry(w.clone()).or_insert(0.0) += x;
            }
            liked.push((v, p.title.clone(), how.clone()));
        }
        normalize(&mut centroid);
        for a in signals.authors.iter().chain(&signals.own_names) {
            authors.entry(author_key(a)).or_insert((0, false)).1 = true;
        }
        let mut disliked = SparseVec::new();
        for p in &signals.disliked {
            for (w, x) in vocab.vector(p) {
                *disliked.entry(w).or_insert(0.0) += x;
            }
        }
        normalize(&mut disliked);
        Profile {
            weights,
            authors,
            categories: signals
                .categories
                .iter()
                .filter_map(|c| crate::Category::parse(c).ok())
                .collect(),
            centroid,
            disliked,
            liked,
            signals: signals.count(),
        }
    }

    /// How many signals it was built from.
    pub fn signals(&self) -> usize {
        self.signals
    }

    /// The score of a paper, without the reason (the fast path for ranking).
    pub fn score(&self, p: &Paper, vocab: &Vocabulary) -> f32 {
        self.parts(p, &vocab.vector(p)).score
    }

    fn parts(&self, p: &Paper, v: &SparseVec) -> Parts {
        let w = self.weights;
        let mut hits = 0.0f32;
        let mut best: Option<(String, u32, bool, f32)> = None;
        for a in &p.authors {
            if let Some(&(n, followed)) = self.authors.get(&author_key(a)) {
                let h = n as f32 + if followed { w.followed_author } else { 0.0 };
                hits += h;
                if best.as_ref().is_none_or(|b| h > b.3) {
                    best = Some((a.clone(), n, followed, h));
                }
            }
        }
        let author = w.authors * (1.0 + hits).ln();
        let topic = w.topic * dot(v, &self.centroid);
        let category = if self
            .categories
            .iter()
            .any(|c| p.categories.iter().any(|pc| c.covers(pc)))
        {
            w.category
        } else {
            0.0
        };
        let penalty = w.disliked * dot(v, &self.disliked);
        Parts {
            score: author + topic + category - penalty,
            author,
            topic,
            category,
            best: best.map(|(a, n, f, _)| (a, n, f)),
        }
    }

    /// The score of a paper and the reason that weighs most in it.
    pub fn explain(&self, p: &Paper, vocab: &Vocabulary) -> Scored {
        let v = vocab.vector(p);
        let Parts {
            score,
            author,
            topic,
            category,
            best,
        } = self.parts(p, &v);
        let reason = if author > 0.0 && author >= topic && author >= category {
            best.map(|(name, liked, followed)| Reason::Author {
                name,
                followed,
                liked,
            })
        } else if topic > 0.0 && topic >= category {
            self.liked
                .iter()
                .map(|(lv, title, how)| (dot(&v, lv), title, how))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(s, _, _)| *s >= MIN_CLOSE)
                .map(|(_, title, how)| Reason::Close {
                    title: title.clone(),
                    how: how.clone(),
                })
        } else if category > 0.0 {
            self.categories
                .iter()
                .find(|c| p.categories.iter().any(|pc| c.covers(pc)))
                .map(|c| Reason::Category(c.to_string()))
        } else {
            None
        };
        Scored { score, reason }
    }

    /// Ranks papers for this reader: indexes into `papers`, best first (ties keep the given
    /// order).
    pub fn rank(&self, papers: &[&Paper], vocab: &Vocabulary) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> = papers
            .iter()
            .enumerate()
            .map(|(i, p)| (i, self.score(p, vocab)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArxivId;

    fn paper(id: &str, title: &str, abs: &str, authors: &[&str], cats: &[&str]) -> Paper {
        let mut p = Paper::new(&ArxivId::parse(id).unwrap(), title, abs);
        p.authors = authors.iter().map(|a| a.to_string()).collect();
        p.categories = cats.iter().map(|c| c.to_string()).collect();
        p
    }

    fn corpus() -> Vec<Paper> {
        vec![
            paper(
                "2501.00001",
                "Diffusion models for protein design",
                "We sample protein structures with diffusion.",
                &["Ada Lovelace", "Bob Stone"],
                &["q-bio.BM"],
            ),
            paper(
                "2501.00002",
                "Protein folding with diffusion",
                "Diffusion sampling of protein folds.",
                &["Carol King"],
                &["q-bio.BM"],
            ),
            paper(
                "2501.00003",
                "Sparse attention for long documents",
                "Attention kernels for long text.",
                &["Dan Brown"],
                &["cs.CL"],
            ),
            paper(
                "2501.00004",
                "A survey of compilers",
                "Compilers and parsing.",
                &["Ada Lovelace"],
                &["cs.PL"],
            ),
            paper(
                "2501.00005",
                "Graph coloring bounds",
                "Chromatic numbers of graphs.",
                &["Eve Adams"],
                &["math.CO"],
            ),
        ]
    }

    #[test]
    fn authors_then_topic_then_category_and_each_reason_is_true() {
        let papers = corpus();
        let mut vocab = Vocabulary::default();
        for p in &papers {
            vocab.add(p);
        }
        let signals = Signals {
            liked: vec![(&papers[0], Liked::Saved("Bio".into()))],
            categories: vec!["math".into()],
            ..Signals::default()
        };
        let profile = Profile::new(&signals, &vocab, Weights::default());
        let candidates: Vec<&Paper> = papers[1..].iter().collect();
        let order: Vec<&str> = profile
            .rank(&candidates, &vocab)
            .into_iter()
            .map(|(i, _)| candidates[i].id.base())
            .collect();
        // Ada's other paper first (an author hit), then the close topic, then the followed
        // category, then nothing.
        assert_eq!(
            order,
            ["2501.00004", "2501.00002", "2501.00005", "2501.00003"]
        );
        let why = |i: usize| profile.explain(&papers[i], &vocab).reason.map(|r| r.line());
        assert_eq!(
            why(3).as_deref(),
            Some("by Ada Lovelace, an author of a paper you liked")
        );
        assert_eq!(
            why(1).as_deref(),
            Some("close to \u{201c}Diffusion models for protein design\u{201d} in your collection Bio")
        );
        assert_eq!(why(4).as_deref(), Some("in math, which you follow"));
        assert_eq!(why(2), None, "nothing of the reader's matches");
    }

    #[test]
    fn followed_authors_and_turned_down_topics_move_papers() {
        let papers = corpus();
        let mut vocab = Vocabulary::default();
        papers.iter().for_each(|p| vocab.add(p));
        let followed = Signals {
            authors: vec!["dan  BROWN".into()],
            disliked: vec![&papers[1]],
            ..Signals::default()
        };
        let profile = Profile::new(&followed, &vocab, Weights::default());
        let s = profile.explain(&papers[2], &vocab);
        assert_eq!(s.reason.unwrap().line(), "by Dan Brown, whom you follow");
        assert!(
            profile.score(&papers[0], &vocab) < 0.0,
            "close to a turned-down paper"
        );
        assert_eq!(followed.count(), 2);
    }

    #[test]
    fn words_skip_stop_words_numbers_and_short_tokens() {
        let p = paper(
            "2501.00009",
            "The 2024 LLMs: a new approach",
            "We use GPT-4 on it.",
            &[],
            &[],
        );
        assert_eq!(words(&p), ["llms", "gpt"]);
    }
}
