//! Tests of the keyword index (fields, queries, long unions, snippets).

use super::*;
use dp_core::{ArxivId, Paper};

/// Papers of words drawn at random from a fixed seed: a few common words (`model`,
/// `based`, `in`, `context`), mid-frequency ones and a long tail, so that BM25 scores spread.
fn random_index(papers: usize) -> KeywordIndex {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % below
    };
    let common = ["model", "based", "in", "context", "large", "scale"];
    let rows: Vec<ChangedPaper> = (0..papers)
        .map(|i| {
            let words: Vec<String> = (0..(8 + next(40)))
                .map(|_| match next(8) {
                    0 | 1 => common[next(common.len())].to_string(),
                    2 => format!("mid{}", next(30)),
                    _ => format!("w{}", next(2_000)),
                })
                .collect();
            let (title, abs) = words.split_at(5);
            let id = ArxivId::parse(&format!("2501.{:05}", i + 1)).unwrap();
            ChangedPaper {
                seq: i as i64 + 1,
                paper: Paper::new(&id, &title.join(" "), &abs.join(" ")),
                hidden: false,
            }
        })
        .collect();
    // Several segments, as a server's index has, so searches spread over threads.
    let idx = KeywordIndex::open(None).unwrap();
    for chunk in rows.chunks(1_000) {
        idx.upsert(chunk).unwrap();
        idx.commit(chunk[chunk.len() - 1].seq).unwrap();
    }
    assert!(idx.reader.searcher().segment_readers().len() > 1 || papers <= 1_000);
    idx
}

#[test]
fn walking_a_long_union_finds_what_block_max_wand_finds() {
    let idx = random_index(3_000);
    same_top_docs_every_way(&idx);
    // Removed papers (deleted documents in the segments) are never returned.
    let hidden: Vec<ChangedPaper> = (0..300)
        .map(|i| {
            let id = ArxivId::parse(&format!("2501.{:05}", i * 7 + 1)).unwrap();
            ChangedPaper {
                seq: 5_000 + i as i64,
                paper: Paper::new(&id, "gone", "gone"),
                hidden: true,
            }
        })
        .collect();
    idx.upsert(&hidden).unwrap();
    idx.commit(5_300).unwrap();
    idx.reader.reload().unwrap();
    let searcher = idx.reader.searcher();
    assert!(searcher
        .segment_readers()
        .iter()
        .any(|r| r.num_deleted_docs() > 0));
    same_top_docs_every_way(&idx);
}

/// `found` ranks as `want` does: the same score at every rank, and each paper with the
/// score `want` gives it (scores equal but for the order of sums, so papers of equal
/// scores may trade places, or one at the cut be swapped for another of the same score).
fn same_ranking(
    found: &[(f32, tantivy::DocAddress)],
    want: &[(f32, tantivy::DocAddress)],
    what: &str,
) {
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
    assert_eq!(found.len(), want.len(), "{what}");
    let cut = want.last().map_or(0.0, |w| w.0);
    for ((a, doc), (b, _)) in found.iter().zip(want) {
        assert!(close(*a, *b), "{what}: {a} vs {b}");
        match want.iter().find(|w| w.1 == *doc) {
            Some(w) => assert!(close(*a, w.0), "{what}: {doc:?} {a} vs {}", w.0),
            None => assert!(close(*a, cut), "{what}: {doc:?} ({a}) is not in the top"),
        }
    }
}

fn same_top_docs_every_way(idx: &KeywordIndex) {
    let searcher = idx.reader.searcher();
    let texts = [
        "mid1 mid2 mid3 w5 w6 w7",
        "model mid4 w10 w11 w12 w13 w14 w15 w16 w17 w18",
        "w1 w2 w3 w4 w5",
        "mid1 mid2 mid3 mid4 mid5 mid6 mid7 mid8",
        // Unions with a phrase of rare words in them (it stays a phrase).
        "\"w1 w2\" mid1 mid2 mid3 w5 w6",
        "model \"mid4 w10\" w11 w12 w13 \"w14 w15\"",
    ];
    for text in texts {
        let q = crate::query::parse(text).unwrap();
        let query = idx.query(&q, &searcher).unwrap();
        assert!(union_parts(query.as_ref()) >= WALK_MIN_WORDS, "{text}");
        let phrases = parts(idx, text).iter().any(|p| p.starts_with("p:"));
        assert_eq!(phrases, text.contains('"'), "{text}");
        for n in [1, 10, 50, 500] {
            let wand = searcher
                .search(query.as_ref(), &TopDocs::with_limit(n))
                .unwrap();
            for (how, threads) in [
                (LongUnions::Walk, 1),
                (LongUnions::Walk, 2),
                (LongUnions::WalkWholeSegments, 2),
            ] {
                let executor = match threads {
                    1 => Executor::single_thread(),
                    t => Executor::multi_thread(t, "test-").unwrap(),
                };
                let found = top_docs(&searcher, query.as_ref(), n, how, &executor).unwrap();
                assert!(!found.is_empty());
                same_ranking(&found, &wand, &format!("{how:?} {text} n={n}"));
            }
            // Segments cut into parts (of a size that does not divide them, and of one
            // document), on one thread and on three.
            for part_docs in [1, 97, 400] {
                for threads in [1, 3] {
                    let executor = match threads {
                        1 => Executor::single_thread(),
                        t => Executor::multi_thread(t, "test-").unwrap(),
                    };
                    let found =
                        long::walk_in_parts(&searcher, query.as_ref(), n, &executor, part_docs)
                            .unwrap();
                    let what = format!("parts of {part_docs} on {threads} {text} n={n}");
                    same_ranking(&found, &wand, &what);
                }
            }
        }
    }
}

#[test]
fn every_way_of_scoring_a_long_union_ranks_the_same() {
    let idx = random_index(3_000);
    let q = crate::query::parse("model mid4 w10 w11 w12 w13 w14 w15 w16 w17 w18").unwrap();
    // "model" alone is in about a third of the papers; the rest are rare.
    let postings = idx.union_postings(&q).unwrap();
    assert!(postings > 500 && postings < 3_000, "{postings}");
    assert_eq!(
        idx.union_postings(&crate::query::parse("w1 w2").unwrap()),
        None
    );
    let mut answers = Vec::new();
    for (how, threads) in [
        (LongUnions::Walk, 1),
        (LongUnions::Wand, 1),
        (LongUnions::Walk, 2),
        (LongUnions::WalkWholeSegments, 2),
    ] {
        idx.set_long_unions(how);
        idx.set_search_threads(threads);
        let found = idx.candidates(&q, 50).unwrap();
        assert_eq!(found.len(), 50, "{how:?} on {threads} threads");
        answers.push(found.into_iter().map(|c| c.id).collect::<Vec<_>>());
    }
    for (i, other) in answers.iter().enumerate().skip(1) {
        assert_eq!(&answers[0], other, "way {i}");
    }
}

/// The parts of `text`'s query: words as `w:term`, phrases as `p:term term`.
fn parts(idx: &KeywordIndex, text: &str) -> Vec<String> {
    let searcher = idx.reader.searcher();
    let query = idx
        .query(&crate::query::parse(text).unwrap(), &searcher)
        .unwrap();
    let word = |q: &dyn Query| {
        if let Some(t) = q.downcast_ref::<TermQuery>() {
            format!("w:{}", t.term().value().as_str().unwrap_or(""))
        } else if let Some(p) = q.downcast_ref::<PhraseQuery>() {
            let words: Vec<String> = p
                .phrase_terms()
                .iter()
                .map(|t| t.value().as_str().unwrap_or("").to_string())
                .collect();
            format!("p:{}", words.join(" "))
        } else {
            "other".into()
        }
    };
    match query.downcast_ref::<BooleanQuery>() {
        Some(b) => b.clauses().iter().map(|(_, q)| word(q.as_ref())).collect(),
        None => vec![word(query.as_ref())],
    }
}

#[test]
fn phrases_of_common_words_become_words_in_long_queries_only() {
    let idx = random_index(2_000);
    // A long query: the common phrase becomes its words, the rare one stays a phrase.
    assert_eq!(
        parts(&idx, "model-based w1 w2 w3-w4 w5"),
        ["w:model", "w:base", "w:w1", "w:w2", "p:w3 w4", "w:w5"]
    );
    // A short query keeps every phrase.
    assert_eq!(parts(&idx, "model-based w1"), ["p:model base", "w:w1"]);
    // A phrase with one rare word stays a phrase even in a long query.
    assert_eq!(
        parts(&idx, "in-w7 w1 w2 w3 w5")[0],
        "p:in w7",
        "one rare word makes the phrase cheap"
    );
    // In a small index shares mean little: phrases stay.
    let small = random_index(200);
    assert_eq!(parts(&small, "model-based w1 w2 w3 w5")[0], "p:model base");
}
