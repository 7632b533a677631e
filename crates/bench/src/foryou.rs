//! `bench foryou`: "For you" on real readers' choices (`eval/foryou/`, see its README).
//!
//! A store is filled with the shared data (the Hugging Face days and the arXiv bulk file). Each
//! reader of the eval file becomes an account whose liked papers are saved in a collection,
//! and each test's candidates are ranked through [`dp_app::App::rank_for`], the code the pages
//! use. Baselines in the same run: random, and author overlap (the README's). Candidates are
//! shuffled first (seeded), so no method sees the order of the Hugging Face list (it follows
//! upvotes, which a method must not use).

use crate::asl::Asl;
use anyhow::{bail, Context, Result};
use dp_app::App;
use dp_core::foryou::author_key;
use dp_core::{CollectionTitle, Paper, Username};
use dp_ingest::import::{import_paths, ImportOptions, NoProgress};
use dp_store::Store;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize)]
struct Reader {
    user: String,
    liked: Vec<LikedRef>,
    tests: Vec<Test>,
}

#[derive(Deserialize)]
struct LikedRef {
    id: String,
}

#[derive(Deserialize)]
struct Test {
    relevant: Vec<String>,
    #[serde(default)]
    new_authors: bool,
    day_candidates: Vec<String>,
    #[serde(default)]
    arxiv_candidates: Option<Vec<String>>,
}

/// Reads an eval file (`.jsonl` or `.jsonl.gz`).
fn read_eval(path: &Path) -> Result<Vec<Reader>> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut s)
            .context("gunzip")?;
        s
    } else {
        String::from_utf8(raw).context("not UTF-8")?
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("line {}", i + 1)))
        .collect()
}

/// A seeded shuffle (splitmix64 keys), the same in every run.
fn shuffled(ids: &[String], seed: u64) -> Vec<String> {
    let key = |s: &str| {
        let mut x = seed
            ^ s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            });
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    };
    let mut v: Vec<String> = ids.to_vec();
    v.sort_by_key(|s| key(s));
    v
}

/// One method's figures.
#[derive(Default, Clone, serde::Serialize)]
struct Figures {
    arxiv_mrr: f64,
    #[serde(rename = "arxiv_recall@10")]
    arxiv_recall_10: f64,
    #[serde(rename = "arxiv_recall@50")]
    arxiv_recall_50: f64,
    day_mrr: f64,
    #[serde(rename = "day_recall@3")]
    day_recall_3: f64,
    new_authors_arxiv_mrr: f64,
    new_authors_day_mrr: f64,
    ms_per_reader: f64,
    #[serde(skip)]
    n: Counts,
}

#[derive(Default, Clone)]
struct Counts {
    arxiv: usize,
    day: usize,
    new_arxiv: usize,
    new_day: usize,
    rankings: usize,
    ms: f64,
}

/// (reciprocal rank of the first relevant, recall at each k) of a ranking.
fn score(ranked: &[String], relevant: &HashSet<String>, ks: &[usize]) -> (f64, Vec<f64>) {
    let rr = ranked
        .iter()
        .position(|id| relevant.contains(id))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64);
    let recalls = ks
        .iter()
        .map(|&k| {
            let found = ranked
                .iter()
                .take(k)
                .filter(|id| relevant.contains(*id))
                .count();
            found as f64 / relevant.len().max(1) as f64
        })
        .collect();
    (rr, recalls)
}

impl Figures {
    fn add(&mut self, arxiv: bool, new_authors: bool, rr: f64, recalls: &[f64]) {
        if arxiv {
            self.n.arxiv += 1;
            self.arxiv_mrr += rr;
            self.arxiv_recall_10 += recalls[0];
            self.arxiv_recall_50 += recalls[1];
            if new_authors {
                self.n.new_arxiv += 1;
                self.new_authors_arxiv_mrr += rr;
            }
        } else {
            self.n.day += 1;
            self.day_mrr += rr;
            self.day_recall_3 += recalls[0];
            if new_authors {
                self.n.new_day += 1;
                self.new_authors_day_mrr += rr;
            }
        }
    }

    /// Adds one ranking's scores, and its time when it is an arXiv ranking.
    fn add_ranking(&mut self, arxiv: bool, new_authors: bool, rr: f64, recalls: &[f64], ms: f64) {
        self.add(arxiv, new_authors, rr, recalls);
        if arxiv {
            self.n.rankings += 1;
            self.n.ms += ms;
        }
    }

    fn finish(mut self) -> Figures {
        let d = |x: f64, n: usize| if n == 0 { 0.0 } else { x / n as f64 };
        self.arxiv_mrr = d(self.arxiv_mrr, self.n.arxiv);
        self.arxiv_recall_10 = d(self.arxiv_recall_10, self.n.arxiv);
        self.arxiv_recall_50 = d(self.arxiv_recall_50, self.n.arxiv);
        self.day_mrr = d(self.day_mrr, self.n.day);
        self.day_recall_3 = d(self.day_recall_3, self.n.day);
        self.new_authors_arxiv_mrr = d(self.new_authors_arxiv_mrr, self.n.new_arxiv);
        self.new_authors_day_mrr = d(self.new_authors_day_mrr, self.n.new_day);
        self.ms_per_reader = d(self.n.ms, self.n.rankings);
        self
    }
}

/// `bench foryou`: prints the figures of ours and the baselines (or one JSON object).
pub async fn run(
    eval: &Path,
    shared: &Path,
    limit: Option<usize>,
    weights: Option<&str>,
    json: bool,
) -> Result<()> {
    let mut readers = read_eval(eval)?;
    if let Some(n) = limit {
        readers.truncate(n);
    }
    let paths = [
        shared.join("hf-daily/days"),
        shared.join("arxiv-bulk/daily_arxiv_cs_20250318_20260701.jsonl.gz"),
    ];
    for p in &paths {
        if !p.exists() {
            bail!("{} not found (pass --shared DIR)", p.display());
        }
    }
    let dir = tempfile::tempdir().context("temporary directory")?;
    let store: Arc<dyn Store> = dp_store::open(&format!(
        "sqlite://{}",
        dir.path().join("foryou.sqlite").display()
    ))
    .await?;
    let t = Instant::now();
    let report = import_paths(
        store.clone(),
        &paths,
        &ImportOptions::default(),
        &NoProgress,
    )
    .await?;
    eprintln!(
        "imported {} records in {:.1} s",
        report.read,
        t.elapsed().as_secs_f64()
    );
    let app = App::new(store.clone(), dp_app::Rules::default());
    if let Some(w) = weights {
        let v: Vec<f32> = w
            .split(',')
            .map(|x| x.trim().parse())
            .collect::<Result<_, _>>()
            .context("--weights: five numbers")?;
        let (authors, topic, category, disliked, followed_author, svm) = match v[..] {
            [a, t, c, d, f] => (a, t, c, d, f, dp_core::foryou::Weights::default().svm),
            [a, t, c, d, f, s] => (a, t, c, d, f, s),
            _ => bail!("--weights: authors,topic,category,disliked,followed_author[,svm]"),
        };
        app.set_foryou_weights(dp_core::foryou::Weights {
            authors,
            topic,
            category,
            disliked,
            followed_author,
            svm,
        });
    }
    let t = Instant::now();
    let vocab = app.vocabulary().await?;
    eprintln!(
        "vocabulary: {} papers, {} words in {:.1} s",
        vocab.docs(),
        vocab.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut corpus: Vec<Paper> = Vec::new();
    let mut after = 0;
    loop {
        let page = store.papers_since(after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        corpus.extend(page.into_iter().map(|c| c.paper));
    }
    let asl = Asl::new(&corpus);
    drop(corpus);
    eprintln!(
        "arxiv-sanity-lite features of every paper in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut ours = Figures::default();
    let mut random = Figures::default();
    let mut overlap = Figures::default();
    let mut svm = Figures::default();
    let mut cache: HashMap<String, Paper> = HashMap::new();
    for (r_i, reader) in readers.iter().enumerate() {
        // The reader's account and their liked papers, saved in a collection.
        let name = format!("reader-{r_i}");
        let user = store
            .create_user(
                &Username::parse(&name).map_err(|e| anyhow::anyhow!("{e}"))?,
                "!",
                false,
            )
            .await?;
        let liked_ids: Vec<String> = reader.liked.iter().map(|l| l.id.clone()).collect();
        let c = store
            .create_collection(
                user.id,
                &CollectionTitle::parse("Liked").map_err(|e| anyhow::anyhow!("{e}"))?,
                None,
                true,
                10,
            )
            .await?
            .context("a collection")?;
        let items: Vec<(String, Option<String>)> =
            liked_ids.iter().map(|i| (i.clone(), None)).collect();
        store
            .add_collection_items(c.id, &items, 100_000)
            .await
            .with_context(|| format!("liked papers of {}", reader.user))?;
        let liked_set: HashSet<&str> = liked_ids.iter().map(String::as_str).collect();
        let liked_papers = papers(&store, &mut cache, &liked_ids).await?;
        let mut author_counts: HashMap<String, u32> = HashMap::new();
        for p in &liked_papers {
            for a in &p.authors {
                *author_counts.entry(author_key(a)).or_insert(0) += 1;
            }
        }
        // arxiv-sanity-lite trains once per reader (its time is spread over their rankings).
        let t = Instant::now();
        let model = asl.train(&liked_ids);
        let train_ms = t.elapsed().as_secs_f64() * 1000.0;
        let arxiv_tests = reader
            .tests
            .iter()
            .filter(|t| t.arxiv_candidates.is_some())
            .count()
            .max(1);
        for (t_i, test) in reader.tests.iter().enumerate() {
            let relevant: HashSet<String> = test.relevant.iter().cloned().collect();
            let tasks: Vec<(bool, &Vec<String>)> = std::iter::once((false, &test.day_candidates))
                .chain(test.arxiv_candidates.iter().map(|a| (true, a)))
                .collect();
            for (arxiv, ids) in tasks {
                let ks: &[usize] = if arxiv { &[10, 50] } else { &[3] };
                let ids: Vec<String> = ids
                    .iter()
                    .filter(|i| !liked_set.contains(i.as_str()))
                    .cloned()
                    .collect();
                let ids = shuffled(&ids, (r_i * 1000 + t_i) as u64);
                let cands = papers(&store, &mut cache, &ids).await?;
                // Ours, through the use case the pages call.
                let t = Instant::now();
                let ranked = app.rank_for(&user, &cands, 0).await?;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let order: Vec<usize> = ranked.iter().map(|(i, _)| *i).collect();
                let (rr, rec) = score(&ids_of(&cands, &order), &relevant, ks);
                ours.add_ranking(arxiv, test.new_authors, rr, &rec, ms);
                // Random: the shuffled order itself.
                let order: Vec<String> = cands.iter().map(|p| p.id.base().to_string()).collect();
                let (rr, rec) = score(&order, &relevant, ks);
                random.add(arxiv, test.new_authors, rr, &rec);
                // Author overlap: sum over a candidate's authors of their liked counts.
                let t = Instant::now();
                let mut scored: Vec<(usize, u32)> = cands
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let s = p
                            .authors
                            .iter()
                            .map(|a| author_counts.get(&author_key(a)).copied().unwrap_or(0))
                            .sum();
                        (i, s)
                    })
                    .collect();
                scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let order: Vec<usize> = scored.iter().map(|(i, _)| *i).collect();
                let (rr, rec) = score(&ids_of(&cands, &order), &relevant, ks);
                overlap.add_ranking(arxiv, test.new_authors, rr, &rec, ms);
                // arxiv-sanity-lite: the reader's SVM.
                let t = Instant::now();
                let mut scored: Vec<(usize, f32)> = cands
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (i, asl.score(&model, p.id.base())))
                    .collect();
                scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                let ms = t.elapsed().as_secs_f64() * 1000.0 + train_ms / arxiv_tests as f64;
                let order: Vec<usize> = scored.iter().map(|(i, _)| *i).collect();
                let (rr, rec) = score(&ids_of(&cands, &order), &relevant, ks);
                svm.add_ranking(arxiv, test.new_authors, rr, &rec, ms);
            }
        }
    }
    let ours = ours.finish();
    let random = random.finish();
    let overlap = overlap.finish();
    let svm = svm.finish();
    let peak_mib = crate::peak_rss() as f64 / 1_048_576.0;
    let tests: usize = readers.iter().map(|r| r.tests.len()).sum();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "readers": readers.len(),
                "tests": tests,
                "arxiv_tests": ours.n.arxiv,
                "peak_rss_mib": peak_mib,
                "methods": {
                    "ours": ours,
                    "random": random,
                    "author_overlap": overlap,
                    "asl_tfidf_svm": svm,
                },
            })
        );
    } else {
        println!(
            "For you on {} ({} readers, {} tests, {} with an arXiv task); peak RSS {:.0} MiB",
            eval.display(),
            readers.len(),
            tests,
            ours.n.arxiv,
            peak_mib
        );
        println!(
            "{:<16} {:>9} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>9}",
            "method",
            "arxiv MRR",
            "R@10",
            "R@50",
            "day MRR",
            "day R@3",
            "new arxiv",
            "new day",
            "ms/rank"
        );
        for (name, f) in [
            ("ours", &ours),
            ("author overlap", &overlap),
            ("asl tf-idf SVM", &svm),
            ("random", &random),
        ] {
            println!(
                "{:<16} {:>9.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>10.3} {:>10.3} {:>9.2}",
                name,
                f.arxiv_mrr,
                f.arxiv_recall_10,
                f.arxiv_recall_50,
                f.day_mrr,
                f.day_recall_3,
                f.new_authors_arxiv_mrr,
                f.new_authors_day_mrr,
                f.ms_per_reader
            );
        }
    }
    Ok(())
}

/// The bare ids of `cands` in `order`.
fn ids_of(cands: &[Paper], order: &[usize]) -> Vec<String> {
    order
        .iter()
        .map(|i| cands[*i].id.base().to_string())
        .collect()
}

/// The stored papers of these ids, in their order (ids the store lacks are skipped).
async fn papers(
    store: &Arc<dyn Store>,
    cache: &mut HashMap<String, Paper>,
    ids: &[String],
) -> Result<Vec<Paper>> {
    let missing: Vec<String> = ids
        .iter()
        .filter(|i| !cache.contains_key(*i))
        .cloned()
        .collect();
    if !missing.is_empty() {
        for s in store.papers_by_ids(&missing).await? {
            cache.insert(s.paper.id.base().to_string(), s.paper);
        }
    }
    Ok(ids.iter().filter_map(|i| cache.get(i).cloned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocal_rank_and_recall() {
        let ranked: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let rel: HashSet<String> = ["c", "z"].iter().map(|s| s.to_string()).collect();
        let (rr, rec) = score(&ranked, &rel, &[2, 3]);
        assert!((rr - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(rec, [0.0, 0.5]);
    }

    #[test]
    fn the_shuffle_is_seeded_and_keeps_every_id() {
        let ids: Vec<String> = (0..50).map(|i| format!("2501.{i:05}")).collect();
        let a = shuffled(&ids, 7);
        assert_eq!(a, shuffled(&ids, 7));
        assert_ne!(a, ids);
        let mut b = a.clone();
        b.sort();
        assert_eq!(b, ids);
    }
}
