//! The arxiv-sanity-lite baseline of `bench foryou`, as `eval/foryou/README.md` describes it:
//! tf-idf over title + abstract + authors (its tokens and English stop words, 1–2-grams, 20,000 features, `min_df` 5, `max_df`
//! 0.1, sublinear tf, scikit-learn's tokens and smoothed idf), then per reader a `LinearSVC`
//! (C 0.01, balanced classes) of their liked papers against every other stored paper.

use dp_core::linear::{train_svm, LinearModel, Sparse, SvmOptions};
use dp_core::Paper;
use std::collections::{HashMap, HashSet};
use unicode_normalization::UnicodeNormalization;

const MAX_FEATURES: usize = 20_000;
const MIN_DF: u32 = 5;
const MAX_DF: f64 = 0.1;

/// scikit-learn's English stop words (`stop_words="english"`), which arxiv-sanity-lite uses.
const STOP_WORDS: &str = "\
a about above across after afterwards again against all almost alone along already also \
although always am among amongst amoungst amount an and another any anyhow anyone \
anything anyway anywhere are around as at back be became because become becomes \
becoming been before beforehand behind being below beside besides between beyond bill \
both bottom but by call can cannot cant co con could couldnt cry de describe detail do \
done down due during each eg eight either eleven else elsewhere empty enough etc even \
ever every everyone everything everywhere except few fifteen fifty fill find fire first \
five for former formerly forty found four from front full further get give go had has \
hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself \
his how however hundred i ie if in inc indeed interest into is it its itself keep last \
latter latterly least less ltd made many may me meanwhile might mill mine more moreover \
most mostly move much must my myself name namely neither never nevertheless next nine \
no nobody none noone nor not nothing now nowhere of off often on once one only onto or \
other others otherwise our ours ourselves out over own part per perhaps please put \
rather re same see seem seemed seeming seems serious several she should show side since \
sincere six sixty so some somehow someone something sometime sometimes somewhere still \
such system take ten than that the their them themselves then thence there thereafter \
thereby therefore therein thereupon these they thick thin third this those though three \
through throughout thru thus to together too top toward towards twelve twenty two un \
under until up upon us very via was we well were what whatever when whence whenever \
where whereafter whereas whereby wherein whereupon wherever whether which while whither \
who whoever whole whom whose why will with within without would yet you your yours \
yourself yourselves \
";

/// FNV-1a of an n-gram: terms are kept as hashes, so a corpus's bigrams fit in memory.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// arxiv-sanity-lite's tokens: accents stripped, lower-cased, `[a-zA-Z_][a-zA-Z0-9_]+`, stop
/// words out; then the bigrams of what is left.
fn terms(p: &Paper, stop: &HashSet<&str>) -> Vec<u64> {
    let text: String = format!("{} {} {}", p.title, p.abstract_text, p.authors.join(" "))
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    let tokens: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| {
            // The pattern starts at a letter or `_` after a word boundary: `3d` is no token.
            let starts_digit = t.starts_with(|c: char| c.is_ascii_digit());
            t.len() >= 2 && !starts_digit && !stop.contains(t)
        })
        .collect();
    let mut out: Vec<u64> = tokens.iter().map(|t| hash(t)).collect();
    for pair in tokens.windows(2) {
        out.push(hash(&format!("{} {}", pair[0], pair[1])));
    }
    out
}

/// The corpus's tf-idf vectors and the SVM per reader.
pub struct Asl {
    index: HashMap<String, usize>,
    vectors: Vec<Sparse>,
}

impl Asl {
    /// Builds the features of every paper.
    pub fn new(corpus: &[Paper]) -> Asl {
        let n = corpus.len();
        let stop: HashSet<&str> = STOP_WORDS.split_whitespace().collect();
        let mut stats: HashMap<u64, (u32, u64)> = HashMap::new();
        for p in corpus {
            let mut t = terms(p, &stop);
            for h in &t {
                stats.entry(*h).or_insert((0, 0)).1 += 1;
            }
            t.sort_unstable();
            t.dedup();
            for h in t {
                stats.entry(h).or_insert((0, 0)).0 += 1;
            }
        }
        let max_df = (MAX_DF * n as f64) as u32;
        let mut kept: Vec<(u64, u32, u64)> = stats
            .into_iter()
            .filter(|(_, (df, _))| *df >= MIN_DF && *df <= max_df)
            .map(|(h, (df, tf))| (h, df, tf))
            .collect();
        kept.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        kept.truncate(MAX_FEATURES);
        let features: HashMap<u64, (u32, f32)> = kept
            .iter()
            .enumerate()
            .map(|(i, (h, df, _))| {
                let idf = ((1.0 + n as f64) / (1.0 + *df as f64)).ln() + 1.0;
                (*h, (i as u32, idf as f32))
            })
            .collect();
        let vectors = corpus
            .iter()
            .map(|p| {
                let mut counts: HashMap<u32, (f32, f32)> = HashMap::new();
                for h in terms(p, &stop) {
                    if let Some(&(i, idf)) = features.get(&h) {
                        counts.entry(i).or_insert((0.0, idf)).0 += 1.0;
                    }
                }
                let mut v: Sparse = counts
                    .into_iter()
                    .map(|(i, (c, idf))| (i, (1.0 + c.ln()) * idf))
                    .collect();
                v.sort_unstable_by_key(|x| x.0);
                let norm = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
                if norm > 0.0 {
                    for x in &mut v {
                        x.1 /= norm;
                    }
                }
                v
            })
            .collect();
        Asl {
            index: corpus
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.base().to_string(), i))
                .collect(),
            vectors,
        }
    }

    /// A reader's SVM: their liked papers against every other paper.
    pub fn train(&self, liked: &[String]) -> LinearModel {
        let pos: Vec<usize> = liked
            .iter()
            .filter_map(|id| self.index.get(id).copied())
            .collect();
        let is_pos: std::collections::HashSet<usize> = pos.iter().copied().collect();
        let p: Vec<&[(u32, f32)]> = pos.iter().map(|&i| self.vectors[i].as_slice()).collect();
        let n: Vec<&[(u32, f32)]> = (0..self.vectors.len())
            .filter(|i| !is_pos.contains(i))
            .map(|i| self.vectors[i].as_slice())
            .collect();
        train_svm(&p, &n, MAX_FEATURES, SvmOptions::default())
    }

    /// The model's score of a paper (papers outside the corpus score lowest).
    pub fn score(&self, model: &LinearModel, id: &str) -> f32 {
        self.index
            .get(id)
            .map_or(f32::NEG_INFINITY, |&i| model.decision(&self.vectors[i]))
    }
}
