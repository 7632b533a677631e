//! Shared XML plumbing for the arXiv API Atom and OAI-PMH parsers.
//!
//! Both parsers walk the document with [`quick_xml::Reader`] events (no recursion, so deep
//! nesting cannot overflow the stack) and match elements and attributes by local name, so any
//! namespace prefix works.
//!
//! Safety rules, the same for both formats:
//! * a document with a `<!DOCTYPE ...>` is refused as a whole ([`XmlError::Doctype`]): neither
//!   arXiv service sends one, and entities are never resolved;
//! * only the five predefined entities (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`) and
//!   character references are unescaped; any other entity reference, or invalid UTF-8, in a
//!   record's text rejects that record only; outside records it makes the document malformed.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Why an XML response cannot be read at all.
///
/// Problems confined to one record are not `XmlError`s: they become an `Err(reason)` in the
/// parser's list of records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The document is not well-formed XML (truncated, mismatched tags, bad syntax, bad text
    /// outside any record).
    #[error("malformed XML at byte {position}: {message}")]
    Malformed {
        /// Byte offset in the input where the problem was found.
        position: u64,
        /// What is wrong.
        message: String,
    },
    /// The document has a document type declaration, which may declare entities; it is refused
    /// rather than risk resolving them.
    #[error("XML document type declarations are not accepted (byte {position}): entities are never resolved")]
    Doctype {
        /// Byte offset of the declaration.
        position: u64,
    },
    /// The root element is not the one of the expected format.
    #[error("not {expected}: the root element is <{found}>")]
    WrongRoot {
        /// The expected kind of document, e.g. `an arXiv API Atom feed (<feed>)`.
        expected: &'static str,
        /// The local name of the root element found.
        found: String,
    },
    /// The OAI-PMH repository answered with an error (other than `noRecordsMatch`).
    #[error("OAI-PMH error {code}: {message}")]
    Oai {
        /// The OAI-PMH error code, e.g. `badResumptionToken`.
        code: String,
        /// The repository's message.
        message: String,
    },
}

/// Longest excerpt of hostile input quoted in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 80;

/// An element start tag with its local name, borrowed from the input.
pub(crate) struct Element<'a> {
    start: BytesStart<'a>,
}

impl Element<'_> {
    /// The element's name without namespace prefix.
    pub(crate) fn local_name(&self) -> &[u8] {
        self.start.local_name().into_inner()
    }

    /// The local name as text, for messages (lossy, shortened).
    pub(crate) fn display_name(&self) -> String {
        quote(&String::from_utf8_lossy(self.local_name()))
    }

    /// The unescaped value of the attribute with this local name, if present.
    ///
    /// `Err` describes a malformed attribute list, an invalid entity or invalid UTF-8.
    pub(crate) fn attr(&self, local_name: &[u8]) -> Result<Option<String>, String> {
        for attr in self.start.attributes() {
            let attr = attr.map_err(|e| format!("malformed attribute: {e}"))?;
            if attr.key.local_name().into_inner() == local_name {
                let value = attr
                    .unescape_value()
                    .map_err(|e| format!("bad attribute value: {e}"))?;
                return Ok(Some(value.into_owned()));
            }
        }
        Ok(None)
    }
}

/// An event-driven cursor over one XML document that tracks element depth.
pub(crate) struct XmlCursor<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
}

impl<'a> XmlCursor<'a> {
    /// A cursor at the start of `xml`.
    pub(crate) fn new(xml: &'a [u8]) -> Self {
        let mut reader = Reader::from_reader(xml);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        config.trim_text(false);
        XmlCursor { reader, depth: 0 }
    }

    /// A [`XmlError::Malformed`] at the current position.
    pub(crate) fn malformed(&self, message: impl Into<String>) -> XmlError {
        XmlError::Malformed {
            position: self.reader.buffer_position(),
            message: message.into(),
        }
    }

    /// The next event, with reader errors mapped to [`XmlError`] and depth tracked.
    fn event(&mut self) -> Result<Event<'a>, XmlError> {
        let event = match self.reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                return Err(XmlError::Malformed {
                    position: self.reader.error_position(),
                    message: e.to_string(),
                })
            }
        };
        match &event {
            Event::Start(_) => self.depth += 1,
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::DocType(_) => {
                return Err(XmlError::Doctype {
                    position: self.reader.buffer_position(),
                })
            }
            Event::Eof if self.depth > 0 => {
                return Err(self.malformed(format!(
                    "unexpected end of document ({} element(s) left open; truncated?)",
                    self.depth
                )))
            }
            _ => {}
        }
        Ok(event)
    }

    /// Reads up to the root element and checks its local name.
    ///
    /// `expected` describes the format for [`XmlError::WrongRoot`].
    pub(crate) fn root(
        &mut self,
        local_name: &[u8],
        expected: &'static str,
    ) -> Result<(), XmlError> {
        loop {
            match self.event()? {
                Event::Start(start) => {
                    let root = Element { start };
                    if root.local_name() == local_name {
                        return Ok(());
                    }
                    return Err(XmlError::WrongRoot {
                        expected,
                        found: root.display_name(),
                    });
                }
                Event::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(self.malformed("text before the root element"))
                }
                Event::Eof => return Err(self.malformed("no root element (empty document?)")),
                Event::End(_) | Event::CData(_) => {
                    return Err(self.malformed("content before the root element"))
                }
                // Declaration, white space, comments and processing instructions.
                _ => {}
            }
        }
    }

    /// The next child element of the current element, or `None` once the current element ends.
    ///
    /// Text, comments and processing instructions between children are skipped.
    pub(crate) fn next_child(&mut self) -> Result<Option<Element<'a>>, XmlError> {
        loop {
            match self.event()? {
                Event::Start(start) => return Ok(Some(Element { start })),
                Event::End(_) => return Ok(None),
                Event::Eof => return Err(self.malformed("unexpected end of document")),
                _ => {}
            }
        }
    }

    /// Skips the rest of the element just entered, children included.
    pub(crate) fn skip(&mut self) -> Result<(), XmlError> {
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            if let Event::Eof = self.event()? {
                return Err(self.malformed("unexpected end of document"));
            }
        }
        Ok(())
    }

    /// The text content of the element just entered (children's text included), consuming it
    /// up to its end tag.
    ///
    /// The outer `Err` is a structural error; the inner `Err` says why the text is unusable (an
    /// unknown entity, invalid UTF-8), after the element has been consumed.
    pub(crate) fn text(&mut self) -> Result<Result<String, String>, XmlError> {
        let target = self.depth.saturating_sub(1);
        let mut out = String::new();
        let mut problem: Option<String> = None;
        while self.depth > target {
            match self.event()? {
                Event::Text(t) if problem.is_none() => match t.unescape() {
                    Ok(s) => out.push_str(&s),
                    Err(e) => problem = Some(describe_text_error(&e)),
                },
                Event::CData(c) if problem.is_none() => match c.decode() {
                    Ok(s) => out.push_str(&s),
                    Err(e) => problem = Some(format!("invalid text: {e}")),
                },
                Event::Eof => return Err(self.malformed("unexpected end of document")),
                _ => {}
            }
        }
        Ok(match problem {
            Some(p) => Err(p),
            None => Ok(out),
        })
    }

    /// Like [`XmlCursor::text`], but bad text makes the whole document malformed.
    pub(crate) fn strict_text(&mut self) -> Result<String, XmlError> {
        let text = self.text()?;
        text.map_err(|message| self.malformed(message))
    }

    /// Checks that nothing but white space, comments and processing instructions follow the
    /// root element.
    pub(crate) fn finish(&mut self) -> Result<(), XmlError> {
        loop {
            match self.event()? {
                Event::Eof => return Ok(()),
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Comment(_) | Event::PI(_) => {}
                _ => return Err(self.malformed("content after the root element")),
            }
        }
    }
}

fn describe_text_error(e: &quick_xml::Error) -> String {
    match e {
        quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) => {
            format!(
                "unknown entity &{}; (entities are never resolved)",
                quote(name)
            )
        }
        quick_xml::Error::Encoding(e) => format!("invalid text encoding: {e}"),
        e => format!("invalid text: {e}"),
    }
}

/// Shortens hostile input quoted in a message.
pub(crate) fn quote(s: &str) -> String {
    if s.chars().count() <= MAX_QUOTED_CHARS {
        s.to_string()
    } else {
        let mut q: String = s.chars().take(MAX_QUOTED_CHARS).collect();
        q.push('…');
        q
    }
}

/// The text with white space normalised, or `None` when that leaves nothing.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let s = dp_core::text::normalize(s);
    (!s.is_empty()).then_some(s)
}

/// The first DOI of a field that may list several (`10.1/a, 10.1/b`), or `None` when empty.
pub(crate) fn first_doi(s: &str) -> Option<String> {
    s.split_whitespace()
        .map(|d| d.trim_end_matches([',', ';']))
        .find(|d| !d.is_empty())
        .map(str::to_string)
}

/// The folder of real arXiv responses under `shared/data/arxiv-fixtures/<sub>`.
///
/// `None` (after a notice) when it is missing, unless the `CI` variable is set: then it panics.
#[cfg(test)]
pub(crate) fn fixture_dir(sub: &str) -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        .join("arxiv-fixtures")
        .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "fixture folder {} is missing (required when CI is set)",
            dir.display()
        );
    }
    eprintln!(
        "notice: fixture folder {} not found, skipping fixture tests",
        dir.display()
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_unescapes_predefined_entities_and_keeps_latex() {
        let mut c = XmlCursor::new(br"<r><t>$a&lt;b$ &amp; \alpha&#x41;<![CDATA[<x>]]></t></r>");
        c.root(b"r", "test").unwrap();
        let t = c.next_child().unwrap().unwrap();
        assert_eq!(t.local_name(), b"t");
        assert_eq!(c.text().unwrap().unwrap(), r"$a<b$ & \alphaA<x>");
        assert!(c.next_child().unwrap().is_none());
        c.finish().unwrap();
    }

    #[test]
    fn unknown_entity_is_a_text_error_not_a_resolution() {
        let mut c = XmlCursor::new(b"<r><t>a &xxe; b</t><u>ok</u></r>");
        c.root(b"r", "test").unwrap();
        c.next_child().unwrap().unwrap();
        let err = c.text().unwrap().unwrap_err();
        assert!(err.contains("xxe"), "{err}");
        c.next_child().unwrap().unwrap();
        assert_eq!(c.text().unwrap().unwrap(), "ok");
    }

    #[test]
    fn attributes_match_by_local_name() {
        let mut c = XmlCursor::new(br#"<r><x:c xmlns:x="u" x:term="a&amp;b" other="1"/></r>"#);
        c.root(b"r", "test").unwrap();
        let e = c.next_child().unwrap().unwrap();
        assert_eq!(e.local_name(), b"c");
        assert_eq!(e.attr(b"term").unwrap().as_deref(), Some("a&b"));
        assert_eq!(e.attr(b"missing").unwrap(), None);
        c.skip().unwrap();
    }

    #[test]
    fn doi_lists_keep_the_first() {
        assert_eq!(
            first_doi(" 10.1/a, 10.1/b;10.1/c").as_deref(),
            Some("10.1/a")
        );
        assert_eq!(first_doi("  "), None);
    }

    #[test]
    fn quote_shortens() {
        assert_eq!(
            quote(&"x".repeat(200)).chars().count(),
            MAX_QUOTED_CHARS + 1
        );
    }
}
