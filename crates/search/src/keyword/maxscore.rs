//! MaxScore (Turtle and Flood, 1995) for a union of many plain words: the same best `n`
//! documents as scoring every document that has any of the words, while skipping most of the
//! postings of the words that weigh least.
//!
//! The words are sorted by the highest BM25 score each can give. Once `n` documents are held,
//! the lowest of their scores is a threshold; the longest prefix of light words whose highest
//! scores add up to no more than it is "non-essential": a document that has only those words
//! cannot reach the top. So only the other words' postings are walked, and for each document
//! found there the light words are looked up (a skip in their postings) from the heaviest down,
//! stopping as soon as even all the remaining ones could not lift the document over the
//! threshold. In a whole title the light words ("learning", "model", "language") have the
//! longest postings, so those are the ones skipped.
//!
//! Tantivy's block-max WAND gives the same answer but re-sorts its words at every step, which
//! grows with the number of words: over 3,000,000 papers it cost twice what the full walk did.
//! MaxScore cost about what the walk did (52 long titles, top 100, one run: p50 20.6 against
//! 23.9 ms on one thread, 14.3 against 15.2 on two; p99 worse on one thread): a word's bound
//! here is the most BM25 can give it at any term frequency. Tighter bounds (each word's real
//! maximum per segment, the largest of its postings' block maxima, read before the walk) were
//! tried and changed nothing (next run: p50 22.1 against the walk's 23.1 ms on one thread,
//! 13.7 against 15.7 on two): the words that carry a title are rare, and the documents found
//! through them still need the common words looked up. So the walk stays the default and
//! this is one of the ways `bench search --scale` compares.

use crate::SearchError;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Executor, Searcher, SegmentReader, Term, TERMINATED};

/// The best `n` documents of `searcher` for the union of `words` (each scored as its own BM25
/// term query and the scores added, as a `BooleanQuery` of `Should` term queries scores them),
/// best first; equal scores rank the earlier document first, as tantivy's `TopDocs` does.
/// Segments are scored on `executor`'s threads.
pub(super) fn top_docs(
    searcher: &Searcher,
    words: &[Term],
    n: usize,
    executor: &Executor,
) -> Result<Vec<(f32, DocAddress)>, SearchError> {
    if n == 0 || words.is_empty() {
        return Ok(Vec::new());
    }
    let weights = words
        .iter()
        .map(|t| Bm25Weight::for_terms(searcher, std::slice::from_ref(t)))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let per_segment = executor.map(
        |(ord, reader): (usize, &SegmentReader)| {
            segment_top(reader, ord as u32, words, &weights, n)
        },
        searcher.segment_readers().iter().enumerate(),
    )?;
    let mut all: Vec<Hit> = per_segment.into_iter().flatten().collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    all.truncate(n);
    Ok(all.into_iter().map(|h| (h.score, h.doc)).collect())
}

/// A scored document, ordered best first by `Ord`'s greater: higher score, then earlier
/// document.
#[derive(Debug, Clone, Copy)]
struct Hit {
    score: f32,
    doc: DocAddress,
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Hit {}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

/// One word's postings in a segment, with what scores them.
struct Cursor {
    postings: SegmentPostings,
    weight: Bm25Weight,
    norms: FieldNormReader,
    /// The highest score this word can give a document.
    max: f32,
}

impl Cursor {
    fn score(&self, doc: DocId) -> f32 {
        self.weight
            .score(self.norms.fieldnorm_id(doc), self.postings.term_freq())
    }
}

/// The best `n` live documents of one segment.
fn segment_top(
    reader: &SegmentReader,
    segment: u32,
    words: &[Term],
    weights: &[Bm25Weight],
    n: usize,
) -> tantivy::Result<Vec<Hit>> {
    let mut cursors = Vec::with_capacity(words.len());
    for (term, weight) in words.iter().zip(weights) {
        let field = term.field();
        let Some(postings) = reader
            .inverted_index(field)?
            .read_postings(term, IndexRecordOption::WithFreqs)?
        else {
            continue;
        };
        let norms = reader
            .fieldnorms_readers()
            .get_field(field)?
            .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        cursors.push(Cursor {
            postings,
            max: weight.max_score(),
            weight: weight.clone(),
            norms,
        });
    }
    // Lightest first; `bounds[i]`: the most words 0..=i can add together.
    cursors.sort_by(|a, b| a.max.total_cmp(&b.max));
    let bounds: Vec<f32> = cursors
        .iter()
        .scan(0.0f32, |sum, c| {
            *sum += c.max;
            Some(*sum)
        })
        .collect();
    let alive = reader.alive_bitset();
    // The `n` best so far, worst on top.
    let mut top: BinaryHeap<std::cmp::Reverse<Hit>> = BinaryHeap::with_capacity(n + 1);
    let mut threshold = f32::NEG_INFINITY;
    // Words before `essential` are looked up only for documents the others find.
    let mut essential = 0;
    while essential < cursors.len() {
        let Some(doc) = cursors[essential..]
            .iter()
            .map(|c| c.postings.doc())
            .min()
            .filter(|d| *d != TERMINATED)
        else {
            break;
        };
        let mut score = 0.0f32;
        for c in &mut cursors[essential..] {
            if c.postings.doc() == doc {
                score += c.score(doc);
                c.postings.advance();
            }
        }
        let mut beaten = false;
        for j in (0..essential).rev() {
            if score + bounds[j] <= threshold {
                beaten = true;
                break;
            }
            let c = &mut cursors[j];
            if c.postings.doc() < doc {
                c.postings.seek(doc);
            }
            if c.postings.doc() == doc {
                score += c.score(doc);
            }
        }
        if beaten || score <= threshold || alive.is_some_and(|a| a.is_deleted(doc)) {
            continue;
        }
        top.push(std::cmp::Reverse(Hit {
            score,
            doc: DocAddress::new(segment, doc),
        }));
        if top.len() > n {
            top.pop();
        }
        if top.len() == n {
            threshold = top.peek().map_or(threshold, |w| w.0.score);
            while essential < cursors.len() && bounds[essential] <= threshold {
                essential += 1;
            }
        }
    }
    Ok(top.into_iter().map(|r| r.0).collect())
}
