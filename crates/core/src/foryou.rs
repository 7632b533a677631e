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
    static STOP_SET: std::sync::LazyLock<HashSet<&'static str>> =
        std::sync::LazyLock::new(|| STOP.iter().copied().collect());
    let stop = &*STOP_SET;
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

/// Every how many papers one is kept as a background paper (what a reader's liked papers are
/// told apart from).
const BACKGROUND_EVERY: u32 = 32;

/// How many papers each word appears in (inverse document frequencies for tf-idf), each word's
/// feature number, and a sample of papers as the background a reader's model is trained
/// against.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// word → (feature number, papers it appears in)
    df: HashMap<String, (u32, u32)>,
    docs: u32,
    /// Word counts of the sampled papers.
    counts: Vec<crate::linear::Sparse>,
    /// Papers counted (bare ids): a paper seen again (a later version) is not counted twice.
    counted: HashSet<String>,
    /// Their tf-idf vectors, made by [`Vocabulary::seal`] (empty before).
    background: Vec<crate::linear::Sparse>,
}

impl Vocabulary {
    /// Counts one paper (every 32nd is also kept as a background paper); a paper counted
    /// already is left alone.
    pub fn add(&mut self, p: &Paper) {
        if !self.counted.insert(p.id.base().to_string()) {
            return;
        }
        self.docs += 1;
        let mut seen: Vec<String> = words(p);
        let keep = self.docs.is_multiple_of(BACKGROUND_EVERY);
        let mut counts: HashMap<u32, f32> = HashMap::new();
        for w in &seen {
            let next = self.df.len() as u32;
            let id = self.df.entry(w.clone()).or_insert((next, 0)).0;
            if keep {
                *counts.entry(id).or_insert(0.0) += 1.0;
            }
        }
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            if let Some(e) = self.df.get_mut(&w) {
                e.1 += 1;
            }
        }
        if keep {
            let mut v: crate::linear::Sparse = counts.into_iter().collect();
            v.sort_unstable_by_key(|x| x.0);
            self.counts.push(v);
        }
    }

    /// Makes the background papers' unit tf-idf vectors from their counts and the current
    /// document frequencies: after the papers are counted, and again after more are added.
    pub fn seal(&mut self) {
        let mut idf = vec![0.0f32; self.df.len()];
        for (id, df) in self.df.values() {
            idf[*id as usize] = ((1.0 + self.docs as f32) / (1.0 + *df as f32)).ln() + 1.0;
        }
        self.background = self
            .counts
            .iter()
            .map(|c| {
                let mut v: crate::linear::Sparse = c
                    .iter()
                    .map(|(id, n)| (*id, (1.0 + n.ln()) * idf[*id as usize]))
                    .collect();
                let norm = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|x| x.1 /= norm);
                }
                v
            })
            .collect();
    }

    /// The background papers' vectors (empty before [`Vocabulary::seal`]).
    pub fn background(&self) -> &[crate::linear::Sparse] {
        &self.background
    }

    /// `w · v` for weights `w` by feature number.
    pub fn decision(&self, w: &[f32], v: &SparseVec) -> f32 {
        v.iter()
            .filter_map(|(word, x)| {
                self.df
                    .get(word)
                    .and_then(|(id, _)| w.get(*id as usize))
                    .map(|y| x * y)
            })
            .sum()
    }

    /// A paper's tf-idf vector by feature number (words the vocabulary lacks left out).
    pub fn indexed(&self, v: &SparseVec) -> crate::linear::Sparse {
        let mut out: crate::linear::Sparse = v
            .iter()
            .filter_map(|(w, x)| self.df.get(w).map(|(id, _)| (*id, *x)))
            .collect();
        out.sort_unstable_by_key(|x| x.0);
        out
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
        let df = self.df.get(word).map_or(0, |e| e.1) as f32;
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
    /// Of the decision value of the reader's linear SVM (their liked papers against the
    /// background papers).
    pub svm: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            authors: 1.0,
            topic: 1.0,
            category: 0.15,
            disliked: 0.5,
            followed_author: 3.0,
            svm: 2.0,
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
    /// The reader's SVM over words, as its intercept and the words' weights (none without
    /// liked papers or background papers).
    svm: Option<(f32, Vec<f32>)>,
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
        let svm = (weights.svm != 0.0 && !liked.is_empty() && !vocab.background().is_empty()).then(
            || {
                let pos: Vec<crate::linear::Sparse> =
                    liked.iter().map(|(v, _, _)| vocab.indexed(v)).collect();
                let p: Vec<&[(u32, f32)]> = pos.iter().map(Vec::as_slice).collect();
                let n: Vec<&[(u32, f32)]> = vocab.background().iter().map(Vec::as_slice).collect();
                let m = crate::linear::train_svm(
                    &p,
                    &n,
                    vocab.len(),
                    crate::linear::SvmOptions {
                        c: 0.1,
                        max_epochs: 30,
                        tol: 1e-2,
                        ..Default::default()
                    },
                );
                (m.bias, m.w)
            },
        );
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
            svm,
        }
    }

    /// How many signals it was built from.
    pub fn signals(&self) -> usize {
        self.signals
    }

    /// The score of a paper, without the reason (the fast path for ranking).
    pub fn score(&self, p: &Paper, vocab: &Vocabulary) -> f32 {
        self.parts(p, &vocab.vector(p), vocab).score
    }

    fn parts(&self, p: &Paper, v: &SparseVec, vocab: &Vocabulary) -> Parts {
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
        let mut topic = w.topic * dot(v, &self.centroid);
        if let Some((bias, weights)) = &self.svm {
            topic += w.svm * (bias + vocab.decision(weights, v));
        }
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
        } = self.parts(p, &v, vocab);
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

    #[test]
    fn the_readers_svm_tells_their_topic_from_the_background() {
        // 320 background papers on many topics; the reader liked three on graph coloring.
        let topics = [
            "galaxy rotation",
            "protein folding",
            "speech codecs",
            "robot grasping",
        ];
        let mut papers: Vec<Paper> = (0..320)
            .map(|i| {
                let t = topics[i % topics.len()];
                paper(
                    &format!("2501.{:05}", i + 100),
                    &format!("On {t} number {i}"),
                    &format!("We study {t} with method {i}."),
                    &[&format!("Author {i}")],
                    &["cs.XX"],
                )
            })
            .collect();
        for (i, t) in [
            "chromatic bounds",
            "coloring planar graphs",
            "list coloring",
        ]
        .iter()
        .enumerate()
        {
            papers.push(paper(
                &format!("2502.{:05}", i + 1),
                &format!("Graph {t}"),
                &format!("Graph {t} and chromatic numbers of graphs."),
                &[&format!("Liked {i}")],
                &["math.CO"],
            ));
        }
        let near = paper(
            "2503.00001",
            "Edge coloring of graphs",
            "Chromatic index of graphs.",
            &["N"],
            &[],
        );
        let far = paper(
            "2503.00002",
            "Galaxy rotation curves",
            "We study galaxy rotation.",
            &["F"],
            &[],
        );
        let mut vocab = Vocabulary::default();
        papers
            .iter()
            .chain([&near, &far])
            .for_each(|p| vocab.add(p));
        vocab.seal();
        assert_eq!(vocab.background().len(), 325 / BACKGROUND_EVERY as usize);
        let n = papers.len();
        let signals = Signals {
            liked: papers[n - 3..]
                .iter()
                .map(|p| (p, Liked::Upvoted))
                .collect(),
            ..Signals::default()
        };
        // The SVM alone (no centroid cosine) puts the graph paper first.
        let only_svm = Weights {
            topic: 0.0,
            ..Weights::default()
        };
        let profile = Profile::new(&signals, &vocab, only_svm);
        assert!(profile.score(&near, &vocab) > profile.score(&far, &vocab));
        let off = Profile::new(
            &signals,
            &vocab,
            Weights {
                svm: 0.0,
                ..only_svm
            },
        );
        assert_eq!(
            off.score(&near, &vocab),
            off.score(&far, &vocab),
            "no SVM: no topic"
        );
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
