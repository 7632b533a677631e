//! English stemming with a per-thread memory of words already stemmed.
//!
//! Snippets tokenise the title and abstract of every result with the index's analyzer, and
//! the Snowball stemmer was the largest cost of a keyword search (measured with `perf` over
//! the 80,317 shared papers: about an eighth of the query thread's time, more than block-max
//! WAND). Words repeat across abstracts, so each thread keeps what it has stemmed. The output
//! is the Snowball stemmer's own, so indexes built with tantivy's `en_stem` stay valid.

use rust_stemmers::{Algorithm, Stemmer};
use std::cell::RefCell;
use std::collections::HashMap;
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

/// Words remembered per thread before the memory starts again (a few MB at most).
const REMEMBERED: usize = 50_000;

thread_local! {
    static STEMS: RefCell<(Stemmer, HashMap<String, String>)> =
        RefCell::new((Stemmer::create(Algorithm::English), HashMap::new()));
}

/// The stem of a lower-cased word, as Snowball's English stemmer gives it.
pub fn stem_into(word: &str, out: &mut String) {
    STEMS.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (stemmer, memory) = &mut *guard;
        out.clear();
        if let Some(s) = memory.get(word) {
            out.push_str(s);
            return;
        }
        let s = stemmer.stem(word);
        out.push_str(&s);
        if memory.len() >= REMEMBERED {
            memory.clear();
        }
        memory.insert(word.to_string(), out.clone());
    });
}

/// tantivy's `en_stem` analyzer (simple tokenizer, words over 40 bytes dropped, lower case,
/// English stemming) with the remembering stemmer.
pub fn en_stem() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(RememberingStemmer)
        .build()
}

/// The token filter of [`en_stem`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RememberingStemmer;

impl TokenFilter for RememberingStemmer {
    type Tokenizer<T: Tokenizer> = StemFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemFilter<T> {
        StemFilter { inner: tokenizer }
    }
}

/// A tokenizer whose tokens are stemmed.
#[derive(Clone)]
pub struct StemFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemFilter<T> {
    type TokenStream<'a> = StemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> StemStream<T::TokenStream<'a>> {
        StemStream {
            tail: self.inner.token_stream(text),
            buffer: String::new(),
        }
    }
}

/// The token stream of [`StemFilter`].
pub struct StemStream<T> {
    tail: T,
    buffer: String,
}

impl<T: TokenStream> TokenStream for StemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        stem_into(&token.text, &mut self.buffer);
        std::mem::swap(&mut token.text, &mut self.buffer);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenizerManager;

    fn tokens(mut a: TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut s = a.token_stream(text);
        while let Some(t) = s.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    #[test]
    fn stems_exactly_as_tantivys_en_stem_twice_over() {
        let text = "Updating models: negative flips, skies and dying neurons; \
                    the Models' UPDATES again — Überprüfung 日本語 \
                    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end";
        let theirs = tokens(TokenizerManager::default().get("en_stem").unwrap(), text);
        assert!(theirs.len() > 10);
        // Twice: the second pass answers from memory.
        assert_eq!(tokens(en_stem(), text), theirs);
        assert_eq!(tokens(en_stem(), text), theirs);
    }

    #[test]
    fn the_memory_starts_again_when_full() {
        let mut out = String::new();
        for i in 0..REMEMBERED + 10 {
            stem_into(&format!("running{i}"), &mut out);
        }
        stem_into("running", &mut out);
        assert_eq!(out, "run");
        STEMS.with(|c| assert!(c.borrow().1.len() <= REMEMBERED));
    }
}
