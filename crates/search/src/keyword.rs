//! The keyword index: tantivy, BM25 over title and abstract as one text (with English
//! stemming) and over authors, phrase queries, filters and highlighted snippets.

mod long;

use crate::pread::PreadDirectory;
use crate::query::SearchQuery;
use crate::SearchError;
use chrono::{NaiveDate, NaiveTime};
use dp_store::ChangedPaper;
use long::{
    is_common, postings, top_docs, union_parts, with_common_phrases_as_words, without_common_words,
    WALK_MIN_WORDS,
};
use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::query::{
    BooleanQuery, Occur, PhraseQuery, Query, QueryParser, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TokenStream;
use tantivy::{
    doc, Executor, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};

/// Bump when the schema changes: an index of another version is rebuilt. (4: column
/// dictionaries no longer zstd-compressed.)
const SCHEMA_VERSION: u32 = 4;
/// A query of at most this many words may name a method in capitals (`MUSCLE`).
const MAX_NAME_WORDS: usize = 4;

/// One piece of a highlighted text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Piece {
    /// The text.
    pub text: String,
    /// Whether it matched the query.
    pub highlight: bool,
}

/// A keyword match before highlighting.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The bare arXiv id.
    pub id: String,
    /// BM25 score, plus a large bonus for a shortcut.
    pub score: f32,
    /// An exact id, title, author name or capitalised method name matched: rank it first
    /// whatever other rankers say.
    pub shortcut: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// The bare arXiv id.
    pub id: String,
    /// BM25 score (higher is better); exact id, title and author matches come first.
    pub score: f32,
    /// The title with matched words marked.
    pub title: Vec<Piece>,
    /// A part of the abstract with matched words marked.
    pub snippet: Vec<Piece>,
}

struct Fields {
    id: Field,
    /// Title, abstract and author names as one text: what BM25 ranks. One field, not one per
    /// part, because per-field BM25 counts a word twice when title and abstract both have it
    /// and normalises each part's length on its own (SciFact train nDCG@10: 0.633 with separate
    /// fields, see the README for one), and because a query over one field is a flat union of
    /// terms, which tantivy answers with block-max WAND instead of scoring every match.
    text: Field,
    /// Stored for display; indexed without frequencies only so snippets can mark matches.
    title: Field,
    abstract_text: Field,
    authors: Field,
    category: Field,
    published: Field,
    /// [`key`] of the normalised title, so ranking checks for an exact title without loading
    /// stored documents.
    title_key: Field,
    /// [`key`] of each normalised author name.
    author_keys: Field,
}

/// `index` with `en_stem` answered by the remembering stemmer (the same tokens, faster).
fn with_analyzers(index: Index) -> Index {
    index
        .tokenizers()
        .register("en_stem", crate::stem::en_stem());
    index
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let ranked = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let shown = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored();
    let plain = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        text: b.add_text_field("text", ranked),
        title: b.add_text_field("title", shown.clone()),
        abstract_text: b.add_text_field("abstract", shown),
        authors: b.add_text_field("authors", plain),
        category: b.add_text_field("category", STRING | STORED),
        published: b.add_i64_field("published", INDEXED | FAST | STORED),
        title_key: b.add_u64_field("title_key", FAST),
        author_keys: b.add_u64_field("author_keys", FAST),
    };
    (b.build(), fields)
}

/// The commit payload: which schema, and how far the index has followed the change cursor.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Payload {
    schema: u32,
    cursor: i64,
}

/// A keyword index, on disk (or in memory for tests). Writes are serialised inside.
pub struct KeywordIndex {
    index: Index,
    reader: IndexReader,
    /// `None` for a read-only view of a folder another process writes.
    writer: Option<Mutex<IndexWriter>>,
    f: Fields,
    /// How searches run.
    tuning: Tuning,
}

/// How an index's searches run: what benchmarks may change, and the pool a search alone
/// spreads its segments over.
struct Tuning {
    /// How long unions are scored (a [`LongUnions`] as its number; see [`top_docs`]).
    long_unions: std::sync::atomic::AtomicU8,
    /// Threads a search may spread the index's segments over (see [`search_threads`]).
    threads: AtomicUsize,
    /// The pool of those threads, built at the first search that uses it.
    pool: OnceLock<Executor>,
    /// Searches running now: a search spreads over the pool only when it is alone, so that
    /// under load every request keeps its own thread and the pool is no bottleneck.
    running: AtomicUsize,
}

impl Tuning {
    fn new() -> Tuning {
        Tuning {
            long_unions: (LongUnions::default() as u8).into(),
            threads: AtomicUsize::new(search_threads()),
            pool: OnceLock::new(),
            running: AtomicUsize::new(0),
        }
    }

    fn long_unions(&self) -> LongUnions {
        match self.long_unions.load(Ordering::Relaxed) {
            x if x == LongUnions::Wand as u8 => LongUnions::Wand,
            x if x == LongUnions::WalkWholeSegments as u8 => LongUnions::WalkWholeSegments,
            _ => LongUnions::Walk,
        }
    }

    /// Where a search scores its segments: on the pool when it is the only search running and
    /// there is more than one segment, otherwise on the caller's thread (also when the pool
    /// cannot be built).
    fn executor(&self, searcher: &Searcher, running: &Running<'_>) -> Executor {
        let threads = self.threads.load(Ordering::Relaxed);
        if threads <= 1 || !running.alone() || searcher.segment_readers().len() <= 1 {
            return Executor::single_thread();
        }
        self.pool
            .get_or_init(|| {
                Executor::multi_thread(threads, "keyword-search-").unwrap_or_else(|e| {
                    tracing::warn!("keyword search stays on one thread: {e}");
                    Executor::single_thread()
                })
            })
            .clone()
    }
}

/// How a union of at least [`WALK_MIN_WORDS`] words and phrases (a whole title typed as a
/// query) is scored. All give the same answer; they differ in cost (see [`WALK_MIN_WORDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum LongUnions {
    /// Score every document that has any of the words (the default).
    #[default]
    Walk,
    /// Block-max WAND: skip blocks of postings that cannot reach the top.
    Wand,
    /// The walk with each segment on one thread (the walk before it cut large segments into
    /// parts; kept for the bench to compare).
    WalkWholeSegments,
}

/// Threads a search may spread the index's segments over: this machine's cores, at most 4.
pub fn search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Counts a search as running while it lives.
struct Running<'a>(&'a AtomicUsize);

impl Running<'_> {
    /// Counts one more search running in `counter` until the guard drops.
    fn enter(counter: &AtomicUsize) -> Running<'_> {
        counter.fetch_add(1, Ordering::Relaxed);
        Running(counter)
    }

    /// Whether this is the only search running.
    fn alone(&self) -> bool {
        self.0.load(Ordering::Relaxed) == 1
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl KeywordIndex {
    /// Opens the index in `dir` (created when missing; rebuilt empty when its schema is of
    /// another version or it cannot be read), or an in-memory one for `None`.
    pub fn open(dir: Option<&Path>) -> Result<KeywordIndex, SearchError> {
        let (schema, f) = schema();
        let index = match dir {
            None => Index::create_in_ram(schema),
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| SearchError::Io(format!("{}: {e}", dir.display())))?;
                let current = Index::open_in_dir(dir).ok().filter(|i| {
                    i.load_metas()
                        .ok()
                        .and_then(|m| m.payload)
                        .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
                        .is_some_and(|p| p.schema == SCHEMA_VERSION)
                });
                match current {
                    Some(i) => i,
                    None => {
                        // Derived data: an index of another version (or a broken one) is rebuilt.
                        std::fs::remove_dir_all(dir).map_err(|e| SearchError::Io(e.to_string()))?;
                        std::fs::create_dir_all(dir).map_err(|e| SearchError::Io(e.to_string()))?;
                        Index::create_in_dir(dir, schema)?
                    }
                }
            }
        };
        let index = with_analyzers(index);
        let writer: IndexWriter =
            index
                .writer_with_num_threads(1, 64 * 1024 * 1024)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => SearchError::Locked,
                    e => SearchError::Index(e),
                })?;
        // Searches read the folder by position rather than mapping it (see `pread`).
        let reader = match dir {
            None => index.reader_builder(),
            Some(dir) => with_analyzers(Index::open(PreadDirectory::open(dir)?)?).reader_builder(),
        }
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
        Ok(KeywordIndex {
            index,
            reader,
            writer: Some(Mutex::new(writer)),
            f,
            tuning: Tuning::new(),
        })
    }

    /// A read-only view of the index in `dir` (a server may be writing it meanwhile).
    pub fn open_read_only(dir: &Path) -> Result<KeywordIndex, SearchError> {
        let (_, f) = schema();
        let index = with_analyzers(Index::open(PreadDirectory::open(dir)?)?);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KeywordIndex {
            index,
            reader,
            writer: None,
            f,
            tuning: Tuning::new(),
        })
    }

    /// Scores long unions another way from now on (benchmarks compare them).
    pub fn set_long_unions(&self, how: LongUnions) {
        self.tuning.long_unions.store(how as u8, Ordering::Relaxed);
    }

    /// Searches score segments on `threads` threads from now on (benchmarks compare them; the
    /// default is this machine's cores, at most 4).
    pub fn set_search_threads(&self, threads: usize) {
        self.tuning.threads.store(threads.max(1), Ordering::Relaxed);
    }

    /// For a query that is a long union of words and phrases, how many postings its words
    /// have together (what a walk reads); `None` for any other query.
    pub fn union_postings(&self, q: &SearchQuery) -> Option<u64> {
        let searcher = self.reader.searcher();
        let query = self.query(q, &searcher)?;
        (union_parts(query.as_ref()) >= WALK_MIN_WORDS).then(|| postings(&searcher, query.as_ref()))
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        self.writer
            .as_ref()
            .ok_or_else(|| SearchError::Io("this index was opened read-only".into()))?
            .lock()
            .map_err(|_| SearchError::Io("index writer poisoned".into()))
    }

    /// How far the index has followed the store's change cursor.
    pub fn cursor(&self) -> i64 {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .map_or(0, |p| p.cursor)
    }

    /// Number of searchable papers.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds or replaces papers (hidden ones are removed). Visible after [`KeywordIndex::commit`].
    pub fn upsert(&self, papers: &[ChangedPaper]) -> Result<(), SearchError> {
        let w = self.writer()?;
        for c in papers {
            let p = &c.paper;
            w.delete_term(Term::from_field_text(self.f.id, p.id.base()));
            if c.hidden {
                continue;
            }
            let mut d = doc!(
                self.f.id => p.id.base(),
                self.f.text => format!("{}\n{}\n{}", p.title, p.abstract_text, p.authors.join(" ; ")),
                self.f.title => p.title.as_str(),
                self.f.abstract_text => p.abstract_text.as_str(),
                self.f.authors => p.authors.join(" ; "),
                self.f.published => p.published.map_or(0, |t| t.timestamp_millis()),
            );
            for c in &p.categories {
                d.add_text(self.f.category, c);
            }
            d.add_u64(self.f.title_key, key(&normal(&p.title)));
            for a in &p.authors {
                d.add_u64(self.f.author_keys, key(&normal(a)));
            }
            w.add_document(d)?;
        }
        Ok(())
    }

    /// Makes everything written visible and records `cursor` with it, atomically.
    pub fn commit(&self, cursor: i64) -> Result<(), SearchError> {
        let mut w = self.writer()?;
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            cursor,
        })
        .unwrap_or_default();
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// Removes every document (for a rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        let w = self.writer()?;
        w.delete_all_documents()?;
        Ok(())
    }

    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(c) = &q.category {
            out.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.f.category, c),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(a) = &q.author {
            let words: Vec<Term> = a
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| Term::from_field_text(self.f.authors, &w.to_lowercase()))
                .collect();
            match words.len() {
                0 => {}
                1 => out.push((
                    Occur::Must,
                    Box::new(TermQuery::new(words[0].clone(), IndexRecordOption::Basic)),
                )),
                _ => out.push((Occur::Must, Box::new(PhraseQuery::new(words)))),
            }
        }
        if q.from.is_some() || q.to.is_some() {
            let ms = |d: NaiveDate, t: NaiveTime| d.and_time(t).and_utc().timestamp_millis();
            let lo = q.from.map_or(Bound::Unbounded, |d| {
                Bound::Included(Term::from_field_i64(
                    self.f.published,
                    ms(d, NaiveTime::MIN),
                ))
            });
            let hi = q.to.map_or(Bound::Unbounded, |d| {
                Bound::Included(Term::from_field_i64(
                    self.f.published,
                    ms(
                        d,
                        NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN),
                    ),
                ))
            });
            out.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        out
    }

    /// The best `limit` papers for `q`, best first, with highlights.
    pub fn search(&self, q: &SearchQuery, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let limit = limit.clamp(1, 1000);
        let found = self.candidates_kept(q, (limit * 4).max(50), limit)?;
        self.render(q, &found)
    }

    /// The best `n` papers for `q` without highlights: BM25 order, then re-ranked so that the
    /// shortcuts come first (an arXiv id, an exact title, an author's full name, or a word in
    /// capitals that a title spells the same way, such as `MUSCLE`).
    pub fn candidates(&self, q: &SearchQuery, n: usize) -> Result<Vec<Candidate>, SearchError> {
        self.candidates_kept(q, n, n)
    }

    /// Like [`KeywordIndex::candidates`], re-ranking the best `n` by BM25 but returning only the
    /// best `keep` of them: ids are read (a dictionary lookup each, the dearest step for
    /// keyword-only queries) only for those kept.
    pub fn candidates_kept(
        &self,
        q: &SearchQuery,
        n: usize,
        keep: usize,
    ) -> Result<Vec<Candidate>, SearchError> {
        let searcher = self.reader.searcher();
        let n = n.clamp(1, 5_000);
        // An arXiv id goes straight to that paper.
        if let Some(id) = &q.id {
            let tq = TermQuery::new(
                Term::from_field_text(self.f.id, id.base()),
                IndexRecordOption::Basic,
            );
            let found = searcher.search(&tq, &TopDocs::with_limit(1))?;
            return found
                .into_iter()
                .map(|(_, addr)| {
                    let d: TantivyDocument = searcher.doc(addr)?;
                    Ok(Candidate {
                        id: text_of(&d, self.f.id),
                        score: f32::MAX,
                        shortcut: true,
                    })
                })
                .collect();
        }
        let Some(query) = self.query(q, &searcher) else {
            return Ok(Vec::new());
        };
        let running = Running::enter(&self.tuning.running);
        let executor = self.tuning.executor(&searcher, &running);
        let top = top_docs(
            &searcher,
            query.as_ref(),
            n,
            self.tuning.long_unions(),
            &executor,
        )?;
        drop(running);
        let wanted = normal(&q.text);
        // Words typed in capitals (MUSCLE, BERT, LoRA-style names are left alone) in a short
        // query name a method: a title that spells one the same way ranks first. In a longer
        // query (a sentence or a claim) capitals are ordinary words: abbreviations such as DNA
        // or HIV would otherwise pull every title that has them to the top (SciFact train
        // nDCG@10 0.649 with the rule on every query, see the README for the figure without).
        let short = q.text.split_whitespace().count() <= MAX_NAME_WORDS;
        let acronyms: Vec<&str> = q
            .text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|_| short)
            .filter(|w| {
                w.chars().filter(|c| c.is_uppercase()).count() >= 2
                    && !w.chars().any(|c| c.is_lowercase())
            })
            .collect();
        let wanted_key = (!wanted.is_empty()).then(|| key(&wanted));
        let name_key = wanted_key.filter(|_| wanted.contains(' '));
        // Ids and the exact-title and author checks come from fast fields (column reads, ids
        // looked up per segment in dictionary order); only a query with a name in capitals
        // loads stored titles.
        let mut scored: Vec<(f32, bool, tantivy::DocAddress)> = Vec::with_capacity(top.len());
        let mut columns: HashMap<u32, (Column<u64>, Column<u64>)> = HashMap::new();
        for (score, addr) in top {
            let (titles, authors) = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
                    e.insert((ff.u64("title_key")?, ff.u64("author_keys")?))
                }
            };
            let exact = wanted_key.is_some_and(|k| titles.first(addr.doc_id) == Some(k))
                || name_key.is_some_and(|k| authors.values_for_doc(addr.doc_id).any(|a| a == k));
            let acronym = !acronyms.is_empty() && {
                let d: TantivyDocument = searcher.doc(addr)?;
                text_of(&d, self.f.title)
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| acronyms.contains(&w))
            };
            let bonus = if exact { 1_000.0 } else { 0.0 } + if acronym { 500.0 } else { 0.0 };
            scored.push((score + bonus, exact || acronym, addr));
        }
        // Stable: equal scores keep BM25's order.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.truncate(keep.max(1));
        let mut by_segment: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
        let mut ranked: Vec<Candidate> = Vec::with_capacity(scored.len());
        for (score, shortcut, addr) in scored {
            by_segment
                .entry(addr.segment_ord)
                .or_default()
                .push((addr.doc_id, ranked.len()));
            ranked.push(Candidate {
                id: String::new(),
                score,
                shortcut,
            });
        }
        for (segment, docs) in by_segment {
            let ids = searcher
                .segment_reader(segment)
                .fast_fields()
                .str("id")?
                .ok_or_else(|| {
                    SearchError::Index(tantivy::TantivyError::SchemaError(
                        "the id column is missing".into(),
                    ))
                })?;
            let mut ords: Vec<(u64, usize)> = docs
                .iter()
                .filter_map(|&(doc, at)| ids.ords().first(doc).map(|ord| (ord, at)))
                .collect();
            ords.sort_unstable();
            let mut next = ords.iter().map(|o| o.1);
            ids.dictionary()
                .sorted_ords_to_term_cb(ords.iter().map(|o| o.0), |bytes| {
                    if let Some(at) = next.next() {
                        ranked[at].id = String::from_utf8_lossy(bytes).into_owned();
                    }
                    Ok(())
                })
                .map_err(|e| SearchError::Io(e.to_string()))?;
        }
        Ok(ranked)
    }

    /// The whole tantivy query for `q` (text and filters), or `None` when there is nothing.
    fn query(&self, q: &SearchQuery, searcher: &Searcher) -> Option<Box<dyn Query>> {
        let mut clauses = self.filters(q);
        let text = self.text_query(q, searcher);
        if clauses.is_empty() {
            // Not wrapped in another boolean query, so a union of words keeps block-max WAND
            // (or the walk of a long one, see `top_docs`).
            return text;
        }
        if let Some(t) = text {
            clauses.push((Occur::Must, t));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn text_query(&self, q: &SearchQuery, searcher: &Searcher) -> Option<Box<dyn Query>> {
        if q.only_filters() {
            return None;
        }
        // A word with inner punctuation (`self-supervised`, `GPT-4`) becomes a phrase of its
        // terms. Measured against plain terms (`bench search --beir`, nDCG@10 of keyword /
        // hybrid): SciFact train 0.683 / 0.733 as phrases, 0.696 / 0.734 as terms; CACM test
        // 0.466 / 0.557 as phrases, 0.441 / 0.543 as terms. Phrases of common words in a long
        // query are the exception: see `with_common_phrases_as_words`.
        let qp = QueryParser::for_index(&self.index, vec![self.f.text]);
        let (parsed, _errors) = qp.parse_query_lenient(&q.text);
        Some(without_common_words(
            with_common_phrases_as_words(parsed, searcher),
            searcher,
        ))
    }

    /// The query's stemmed words as terms of the title and abstract fields, for snippets only
    /// (those fields are not ranked; phrases are marked word by word).
    fn highlight_query(&self, q: &SearchQuery, searcher: &Searcher) -> Option<Box<dyn Query>> {
        if q.only_filters() {
            return None;
        }
        let mut analyzer = self.index.tokenizer_for_field(self.f.title).ok()?;
        let mut words: Vec<String> = Vec::new();
        let mut stream = analyzer.token_stream(&q.text);
        while let Some(t) = stream.next() {
            if !words.contains(&t.text) {
                words.push(t.text.clone());
            }
        }
        // Words the ranking leaves out are not marked either ("the" on every line).
        let rare: Vec<String> = words
            .iter()
            .filter(|w| !is_common(searcher, &Term::from_field_text(self.f.text, w)))
            .cloned()
            .collect();
        if !rare.is_empty() {
            words = rare;
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .flat_map(|w| [self.f.title, self.f.abstract_text].map(|f| (f, w)))
            .map(|(f, w)| {
                let tq = TermQuery::new(Term::from_field_text(f, w), IndexRecordOption::Basic);
                (Occur::Should, Box::new(tq) as Box<dyn Query>)
            })
            .collect();
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    /// Of `ids`, the ones that pass `q`'s filters (category, author, dates); all of them when
    /// `q` has no filter.
    pub fn passing(
        &self,
        q: &SearchQuery,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, SearchError> {
        let mut clauses = self.filters(q);
        if clauses.is_empty() || ids.is_empty() {
            return Ok(ids.iter().cloned().collect());
        }
        let terms = ids.iter().map(|id| Term::from_field_text(self.f.id, id));
        clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
        let searcher = self.reader.searcher();
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(ids.len()))?;
        top.into_iter()
            .map(|(_, addr)| {
                let d: TantivyDocument = searcher.doc(addr)?;
                Ok(text_of(&d, self.f.id))
            })
            .collect()
    }

    /// Hits with highlights for `q`, in the order given (ids the index lacks are left out).
    pub fn render(&self, q: &SearchQuery, ranked: &[Candidate]) -> Result<Vec<Hit>, SearchError> {
        let searcher = self.reader.searcher();
        let text_query = if q.id.is_some() {
            None
        } else {
            self.highlight_query(q, &searcher)
        };
        let (title_gen, abs_gen) = match &text_query {
            Some(t) => {
                let mut tg = SnippetGenerator::create(&searcher, t.as_ref(), self.f.title)?;
                tg.set_max_num_chars(2_000);
                let mut ag = SnippetGenerator::create(&searcher, t.as_ref(), self.f.abstract_text)?;
                ag.set_max_num_chars(320);
                (Some(tg), Some(ag))
            }
            None => (None, None),
        };
        let mut hits = Vec::with_capacity(ranked.len());
        for c in ranked {
            let tq = TermQuery::new(
                Term::from_field_text(self.f.id, &c.id),
                IndexRecordOption::Basic,
            );
            let Some((_, addr)) = searcher
                .search(&tq, &TopDocs::with_limit(1))?
                .into_iter()
                .next()
            else {
                continue;
            };
            let d: TantivyDocument = searcher.doc(addr)?;
            let title = text_of(&d, self.f.title);
            let abs = text_of(&d, self.f.abstract_text);
            let title_pieces = match &title_gen {
                Some(g) => pieces(&g.snippet(&title), &title),
                None => vec![Piece {
                    text: title.clone(),
                    highlight: false,
                }],
            };
            let snippet = match &abs_gen {
                Some(g) => {
                    let s = g.snippet(&abs);
                    if s.fragment().is_empty() {
                        lead(&abs)
                    } else {
                        pieces(&s, s.fragment())
                    }
                }
                None => lead(&abs),
            };
            hits.push(Hit {
                id: c.id.clone(),
                score: c.score,
                title: title_pieces,
                snippet,
            });
        }
        Ok(hits)
    }
}

fn text_of(d: &TantivyDocument, f: Field) -> String {
    d.get_first(f)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// A stable 64-bit key of a normalised string (FNV-1a): equal strings, equal keys, in every
/// process and version.
fn key(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn normal(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .trim_matches('"')
        .to_string()
}

fn lead(text: &str) -> Vec<Piece> {
    vec![Piece {
        text: dp_core::text::excerpt(text, 320),
        highlight: false,
    }]
}

fn pieces(s: &tantivy::snippet::Snippet, text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in s.highlighted() {
        if r.start < at
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        if r.start > at {
            out.push(Piece {
                text: text[at..r.start].to_string(),
                highlight: false,
            });
        }
        out.push(Piece {
            text: text[r.start..r.end].to_string(),
            highlight: true,
        });
        at = r.end;
    }
    if at < text.len() {
        out.push(Piece {
            text: text[at..].to_string(),
            highlight: false,
        });
    }
    out
}

#[cfg(test)]
mod tests;
