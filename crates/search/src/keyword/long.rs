//! Long queries (a whole title, a claim) made cheaper without changing their answer much:
//! common words and phrases of common words dropped or split, and many-word unions scored by
//! walking their postings (see [`top_docs`]).

use super::LongUnions;
use crate::SearchError;
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::query::{BooleanQuery, EnableScoring, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Executor, Searcher, Term};

/// Words in more than this share of the papers ("the", "of", "we") are left out of a query
/// that has rarer words: their BM25 weight is at most ln(1 + 0.3/0.7) = 0.36 against 5 to 10
/// for a rare word, while their posting lists are the longest to walk.
pub(super) const COMMON_SHARE: f64 = 0.7;

/// Shares mean little in a small index (in four papers, every word of one is "common"):
/// below this many papers every word counts.
pub(super) const COMMON_MIN_DOCS: u64 = 1_000;

/// A phrase all of whose words are each in more than this share of the papers (`model-based`,
/// `in-context`, `large-scale`) ranks as its separate words in a long query: see
/// [`with_common_phrases_as_words`].
pub(super) const COMMON_PHRASE_SHARE: f64 = 0.05;

/// A query of at least this many parts is long (a whole title, a claim).
pub(super) const LONG_QUERY_PARTS: usize = 5;

/// `query` with each phrase of common words (see [`COMMON_PHRASE_SHARE`]) replaced by its
/// words, when it is a long union (at least [`LONG_QUERY_PARTS`] parts, all alternatives) in
/// an index of at least [`COMMON_MIN_DOCS`] papers.
///
/// Such a phrase is the dearest part of a whole title typed as a query: every paper with all
/// its words has the words' positions read. Over the 80,317 shared papers one such phrase
/// made a title cost 4.5 ms against about 1 ms as plain words, and it weighs little beside
/// the title's rarer words. A phrase with a rarer word (`XLand-100B`, `GPT-4`) is cheap and
/// stays a phrase, as do phrases in short queries, where they carry the meaning.
pub(super) fn with_common_phrases_as_words(
    query: Box<dyn Query>,
    searcher: &Searcher,
) -> Box<dyn Query> {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let clauses = boolean.clauses();
    if searcher.num_docs() < COMMON_MIN_DOCS
        || clauses.len() < LONG_QUERY_PARTS
        || clauses.iter().any(|(occur, _)| *occur != Occur::Should)
    {
        return query;
    }
    let common_phrase = |q: &dyn Query| {
        q.downcast_ref::<PhraseQuery>().and_then(|p| {
            let words = p.phrase_terms();
            words
                .iter()
                .all(|t| in_more_than(searcher, t, COMMON_PHRASE_SHARE))
                .then_some(words)
        })
    };
    let mut changed = false;
    let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(clauses.len());
    for (occur, q) in clauses {
        match common_phrase(q.as_ref()) {
            Some(words) => {
                changed = true;
                for t in words {
                    let word = TermQuery::new(t, IndexRecordOption::WithFreqs);
                    parts.push((*occur, Box::new(word)));
                }
            }
            None => parts.push((*occur, q.box_clone())),
        }
    }
    if changed {
        Box::new(BooleanQuery::new(parts))
    } else {
        query
    }
}

/// `query` without the plain words (top-level alternatives) that are in more than
/// [`COMMON_SHARE`] of the papers, when at least one other part is left.
pub(super) fn without_common_words(query: Box<dyn Query>, searcher: &Searcher) -> Box<dyn Query> {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let clauses = boolean.clauses();
    // One dictionary lookup per word, and none in a small index.
    let common: Vec<bool> = clauses
        .iter()
        .map(|(occur, q)| {
            *occur == Occur::Should
                && q.downcast_ref::<TermQuery>()
                    .is_some_and(|t| is_common(searcher, t.term()))
        })
        .collect();
    let dropped = common.iter().filter(|c| **c).count();
    if dropped == 0 || dropped == clauses.len() {
        return query;
    }
    let kept: Vec<(Occur, Box<dyn Query>)> = clauses
        .iter()
        .zip(&common)
        .filter(|(_, common)| !**common)
        .map(|((occur, q), _)| (*occur, q.box_clone()))
        .collect();
    Box::new(BooleanQuery::new(kept))
}

/// A union of at least this many words (or phrases) may be scored document by document instead
/// of with block-max WAND (for plain words; tantivy walks a union with a phrase anyway).
/// Measured over the 80,317 shared papers (`bench search`, top 50): the two cost the same up to
/// four words, and from five words on WAND costs 2 to 4.5 times as much
/// (11 to 13 words: 4.0-4.7 ms against 0.9-1.0), since its bookkeeping grows with the number
/// of words while the walk grows only with the postings.
pub(super) const WALK_MIN_WORDS: usize = LONG_QUERY_PARTS;

/// The best `n` documents for `query` by its BM25 score, exactly as
/// `searcher.search(query, &TopDocs::with_limit(n))` finds them, but faster for a union of
/// many words and phrases (a whole title typed as a query): see [`WALK_MIN_WORDS`]. Segments
/// are scored on `executor`'s threads at once, large ones cut into parts ([`walk_in_parts`]).
///
/// Tried and dropped for unions with phrases in them, before phrases of common words became
/// words in long queries ([`with_common_phrases_as_words`]), both exact: (1) running the
/// union first with each phrase relaxed to all of its words anywhere (an upper bound of its
/// score) and scoring only the relaxed top exactly: intersecting the words' postings cost as
/// much as matching the phrase (1.02 against 1.02 ms on average over 600 titles); (2)
/// scoring phrases of common words last, on the best 500 of the rest only: the bound that
/// proves such an answer exact (the phrases' maximum scores) held for 30 of 444 queries.
pub(super) fn top_docs(
    searcher: &Searcher,
    query: &dyn Query,
    n: usize,
    how: LongUnions,
    executor: &Executor,
) -> Result<Vec<(f32, DocAddress)>, SearchError> {
    let top = TopDocs::with_limit(n);
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    match how {
        // Block-max WAND for a union of plain words; a union with a phrase in it tantivy walks
        // whole (WAND takes term scorers only), a segment per thread.
        _ if union_parts(query) < WALK_MIN_WORDS => {
            Ok(searcher.search_with_executor(query, &top, executor, scoring)?)
        }
        LongUnions::Wand => Ok(searcher.search_with_executor(query, &top, executor, scoring)?),
        LongUnions::Walk if worth_parts(searcher, executor) => {
            walk_in_parts(searcher, query, n, executor, PART_DOCS)
        }
        LongUnions::Walk | LongUnions::WalkWholeSegments => {
            Ok(searcher.search_with_executor(query, &Walk(top), executor, scoring)?)
        }
    }
}

/// Documents per part when a walk is spread over several threads (see [`walk_in_parts`]).
pub(super) const PART_DOCS: u32 = 1 << 18;

/// Whether a walk gains from parts: several threads, and a segment larger than one part (in
/// smaller indexes every segment is one part anyway, and the segment walk stays as it was).
fn worth_parts(searcher: &Searcher, executor: &Executor) -> bool {
    !matches!(executor, Executor::SingleThread)
        && searcher
            .segment_readers()
            .iter()
            .any(|r| r.max_doc() > PART_DOCS)
}

/// The walk of [`Walk`] with every segment cut into parts of at most `part_docs` documents,
/// the parts spread over `executor`'s threads; the same answer. With a thread per segment,
/// threads wait for the largest one: a 3,000,000-paper index held one segment of 2,000,647
/// documents beside four of about 250,000. Measured there (six runs), parts took 0.81–0.96x
/// the time of whole segments; two threads still walk a long title in about 0.7x the time of
/// one, not 0.5x, so evenly shared work was only part of what was missing. Each part opens
/// its own scorer and skips to its first document (a skip-list seek per word).
pub(super) fn walk_in_parts(
    searcher: &Searcher,
    query: &dyn Query,
    n: usize,
    executor: &Executor,
    part_docs: u32,
) -> Result<Vec<(f32, DocAddress)>, SearchError> {
    let readers = searcher.segment_readers();
    let part_docs = part_docs.max(1);
    let parts: Vec<(u32, u32, u32)> = readers
        .iter()
        .enumerate()
        .flat_map(|(ord, reader)| {
            let max = reader.max_doc();
            (0..max.div_ceil(part_docs)).map(move |p| {
                let start = p * part_docs;
                (ord as u32, start, start.saturating_add(part_docs).min(max))
            })
        })
        .collect();
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let top = TopDocs::with_limit(n);
    let fruits = executor.map(
        |(ord, start, end)| {
            let reader = &readers[ord as usize];
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut child = top.for_segment(ord, reader)?;
            let alive = reader.alive_bitset();
            let mut doc = scorer.doc();
            if doc < start {
                doc = scorer.seek(start);
            }
            // TERMINATED (u32::MAX) is past every part's end.
            while doc < end {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    child.collect(doc, scorer.score());
                }
                doc = scorer.advance();
            }
            Ok(child.harvest())
        },
        parts.into_iter(),
    )?;
    Ok(top.merge_fruits(fruits)?)
}

/// The postings of the words of `query` (a union of words and phrases) added up, a phrase's
/// words each counted: one dictionary lookup per word.
pub(super) fn postings(searcher: &Searcher, query: &dyn Query) -> u64 {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return 0;
    };
    let mut terms: Vec<Term> = Vec::new();
    for (_, q) in boolean.clauses() {
        if let Some(t) = q.downcast_ref::<TermQuery>() {
            terms.push(t.term().clone());
        } else if let Some(p) = q.downcast_ref::<PhraseQuery>() {
            terms.extend(p.phrase_terms());
        }
    }
    terms
        .iter()
        .map(|t| searcher.doc_freq(t).unwrap_or(0))
        .sum()
}

/// How many parts `query` has when it is a union (only `Should` parts) of words and phrases;
/// 0 for anything else. A whole title typed as a query is such a union, with a phrase for each
/// hyphenated name in it (`GPT-4`, `XLand-100B`).
pub(super) fn union_parts(query: &dyn Query) -> usize {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return 0;
    };
    let clauses = boolean.clauses();
    let union = clauses.iter().all(|(occur, q)| {
        *occur == Occur::Should
            && (q.downcast_ref::<TermQuery>().is_some()
                || q.downcast_ref::<PhraseQuery>().is_some())
    });
    if union {
        clauses.len()
    } else {
        0
    }
}

/// A top-documents collector that scores every matching document (tantivy's default
/// collection) instead of letting the query skip blocks (block-max WAND); the same answer.
pub(super) struct Walk(TopDocs);

impl Collector for Walk {
    type Fruit = Vec<(f32, DocAddress)>;
    type Child = <TopDocs as Collector>::Child;

    fn for_segment(
        &self,
        segment: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        self.0.for_segment(segment, reader)
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<Self::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Self::Fruit> {
        self.0.merge_fruits(fruits)
    }
}

/// Whether `term` is in more than [`COMMON_SHARE`] of the papers of an index of at least
/// [`COMMON_MIN_DOCS`].
pub(super) fn is_common(searcher: &Searcher, term: &Term) -> bool {
    in_more_than(searcher, term, COMMON_SHARE)
}

/// Whether `term` is in more than `share` of the papers of an index of at least
/// [`COMMON_MIN_DOCS`] (in a smaller one, shares mean little).
pub(super) fn in_more_than(searcher: &Searcher, term: &Term, share: f64) -> bool {
    let docs = searcher.num_docs();
    docs >= COMMON_MIN_DOCS
        && searcher
            .doc_freq(term)
            .is_ok_and(|df| df as f64 > share * docs as f64)
}
