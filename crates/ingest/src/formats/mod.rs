//! Source formats, their detection, and streaming readers that turn a file into records.

pub mod hf;
pub mod kaggle;
pub mod listing;

use crate::{atom, oai, ImportRecord};
use chrono::NaiveDate;
use serde::de::{SeqAccess, Visitor};
use serde::Deserializer as _;
use serde_json::value::RawValue;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Longest JSON line or array item read; longer ones are rejected without being kept in memory.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;
/// Largest XML document read (an OAI-PMH page or an API response).
pub const MAX_XML_BYTES: u64 = 256 * 1024 * 1024;
/// JSON arrays up to this size are read into memory before parsing; larger ones stream.
const SLURP_BYTES: usize = 32 * 1024 * 1024;

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Hugging Face `/api/daily_papers` output: a JSON array or JSON lines of its items.
    HfDaily,
    /// arXiv listing JSON lines (`{id, categories, pdf, abs, authors, title, comment, summary}`).
    ArxivListing,
    /// Kaggle `arxiv-metadata-oai-snapshot` JSON lines.
    Kaggle,
    /// arXiv API Atom responses.
    Atom,
    /// OAI-PMH `ListRecords` / `GetRecord` responses, `arXiv` metadata format.
    OaiPmh,
}

impl Format {
    /// Every format with its `--format` name.
    pub const ALL: [(&'static str, Format); 5] = [
        ("hf", Format::HfDaily),
        ("arxiv-listing", Format::ArxivListing),
        ("kaggle", Format::Kaggle),
        ("atom", Format::Atom),
        ("oai-pmh", Format::OaiPmh),
    ];
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Format::ALL
            .iter()
            .find(|(_, x)| x == self)
            .map(|(n, _)| *n)
            .unwrap_or("?");
        f.write_str(name)
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown format {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// What a reader produces, one at a time.
#[derive(Debug)]
pub enum Parsed {
    /// A good record, with a warning when something about it was odd.
    Record(Box<ImportRecord>, Option<String>),
    /// A record that was skipped: where it was and why.
    Rejected {
        /// `line 12`, `item 3`, `entry 7`.
        location: String,
        /// Why.
        reason: String,
    },
}

/// How to read one file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format, when not detected.
    pub format: Option<Format>,
    /// The list day for daily-papers items, overriding the file name and the items.
    pub date: Option<NaiveDate>,
}

/// A reader that counts the bytes taken from the file (for progress bars).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file, decompressing gzip (detected by its magic bytes, whatever the name).
fn open(path: &Path, counter: Arc<AtomicU64>) -> io::Result<Box<dyn BufRead + Send>> {
    let file = std::fs::File::open(path)?;
    let mut raw = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            count: counter,
        },
    );
    let gz = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    })
}

/// The first non-whitespace byte of a stream, without consuming it.
fn peek_byte(r: &mut dyn BufRead) -> io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Reads one line into `buf` (without the newline), up to `MAX_RECORD_BYTES`.
/// Returns `Ok(None)` at the end, `Ok(Some(false))` for a line that was too long (skipped).
fn read_line_capped(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if any { Some(!too_long) } else { None });
        }
        any = true;
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if buf.len() + part.len() > MAX_RECORD_BYTES {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = done.unwrap_or(chunk.len());
        r.consume(used);
        if done.is_some() {
            return Ok(Some(!too_long));
        }
    }
}

/// Which JSON record format an object is in.
fn detect_json(obj: &[u8]) -> Option<Format> {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(obj).ok()?;
    if hf::looks_like(&v) {
        Some(Format::HfDaily)
    } else if listing::looks_like(&v) {
        Some(Format::ArxivListing)
    } else if kaggle::looks_like(&v) {
        Some(Format::Kaggle)
    } else {
        None
    }
}

fn parse_json_record(
    format: Format,
    bytes: &[u8],
    day: Option<NaiveDate>,
    position: i64,
) -> Result<(ImportRecord, Option<String>), String> {
    match format {
        Format::HfDaily => {
            let s = std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))?;
            hf::parse_item(s, day, position)
        }
        Format::ArxivListing => listing::parse_line(bytes).map(|r| (r, None)),
        Format::Kaggle => kaggle::parse_line(bytes).map(|r| (r, None)),
        Format::Atom | Format::OaiPmh => Err(format!("{format} is not a JSON format")),
    }
}

/// Streams the records of one file into `emit`, which returns `false` to stop early.
///
/// Bad records are emitted as [`Parsed::Rejected`] and reading goes on; an error that makes the
/// rest of the file unreadable (truncated gzip, broken JSON array, malformed XML) ends the file
/// with `Err`, after every record before it was emitted.
pub fn read_file(
    path: &Path,
    opts: &ReadOptions,
    counter: Arc<AtomicU64>,
    emit: &mut dyn FnMut(Parsed) -> bool,
) -> Result<(), String> {
    let mut r = open(path, counter).map_err(|e| format!("cannot open: {e}"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let day = opts.date.or_else(|| dp_core::day::day_from_file_name(name));
    read_stream(&mut *r, day, opts, emit)
}

/// [`read_file`] over an open (decompressed) stream, for a list of day `day` when known.
pub fn read_stream(
    r: &mut dyn BufRead,
    day: Option<NaiveDate>,
    opts: &ReadOptions,
    emit: &mut dyn FnMut(Parsed) -> bool,
) -> Result<(), String> {
    let first = peek_byte(r).map_err(|e| format!("cannot read: {e}"))?;
    let xml_format = match opts.format {
        Some(f @ (Format::Atom | Format::OaiPmh)) => Some(f),
        Some(_) => None,
        None if first == Some(b'<') => {
            // Atom or OAI-PMH: decided by the root element once the document is read.
            Some(Format::Atom)
        }
        None => None,
    };
    if let Some(f) = xml_format {
        return read_xml(r, opts.format.map(|_| f), emit);
    }
    match first {
        None => Ok(()),
        Some(b'[') => read_json_array(r, opts.format, day, emit),
        Some(_) => read_json_lines(r, opts.format, day, emit),
    }
}

fn read_json_lines(
    r: &mut dyn BufRead,
    mut format: Option<Format>,
    day: Option<NaiveDate>,
    emit: &mut dyn FnMut(Parsed) -> bool,
) -> Result<(), String> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut line_no = 0u64;
    let mut position = 0i64;
    loop {
        let got = read_line_capped(r, &mut buf)
            .map_err(|e| format!("read error after line {line_no}: {e}"))?;
        line_no += 1;
        let location = || format!("line {line_no}");
        let keep_going = match got {
            None => return Ok(()),
            Some(false) => emit(Parsed::Rejected {
                location: location(),
                reason: format!("record longer than {MAX_RECORD_BYTES} bytes"),
            }),
            Some(true) => {
                if buf.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                if format.is_none() {
                    format = detect_json(&buf);
                }
                match format {
                    None => emit(Parsed::Rejected {
                        location: location(),
                        reason: "not a record of any known format (hf, arxiv-listing, kaggle)"
                            .into(),
                    }),
                    Some(f) => {
                        let parsed = parse_json_record(f, &buf, day, position);
                        position += 1;
                        match parsed {
                            Ok((rec, warning)) => emit(Parsed::Record(Box::new(rec), warning)),
                            Err(reason) => emit(Parsed::Rejected {
                                location: location(),
                                reason,
                            }),
                        }
                    }
                }
            }
        };
        if !keep_going {
            return Ok(());
        }
    }
}

struct ArrayVisitor<'a> {
    emit: &'a mut dyn FnMut(Box<RawValue>) -> bool,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Box<RawValue>>()? {
            if !(self.emit)(item) {
                // Drain the rest without keeping it, so the array still parses.
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                break;
            }
        }
        Ok(())
    }
}

fn read_json_array(
    r: &mut dyn BufRead,
    mut format: Option<Format>,
    day: Option<NaiveDate>,
    emit: &mut dyn FnMut(Parsed) -> bool,
) -> Result<(), String> {
    let mut index = 0i64;
    let mut on_item = |raw: Box<RawValue>| {
        index += 1;
        let bytes = raw.get().as_bytes();
        let location = format!("item {index}");
        if bytes.len() > MAX_RECORD_BYTES {
            return emit(Parsed::Rejected {
                location,
                reason: format!("record longer than {MAX_RECORD_BYTES} bytes"),
            });
        }
        if format.is_none() {
            format = detect_json(bytes);
        }
        match format {
            None => emit(Parsed::Rejected {
                location,
                reason: "not a record of any known format (hf, arxiv-listing, kaggle)".into(),
            }),
            Some(f) => match parse_json_record(f, bytes, day, index - 1) {
                Ok((rec, warning)) => emit(Parsed::Record(Box::new(rec), warning)),
                Err(reason) => emit(Parsed::Rejected { location, reason }),
            },
        }
    };
    // Arrays that fit in memory (a day's response is well under a megabyte) are parsed from a
    // slice, which is several times faster than serde_json's byte-at-a-time reader; larger ones
    // still stream, so memory stays bounded whatever the file size.
    let mut head = Vec::new();
    r.take(SLURP_BYTES as u64 + 1)
        .read_to_end(&mut head)
        .map_err(|e| format!("read error: {e}"))?;
    let malformed = |e: serde_json::Error| format!("malformed JSON array: {e}");
    if head.len() <= SLURP_BYTES {
        let mut de = serde_json::Deserializer::from_slice(&head);
        de.deserialize_seq(ArrayVisitor { emit: &mut on_item })
            .map_err(malformed)?;
        de.end().map_err(malformed)
    } else {
        let mut de = serde_json::Deserializer::from_reader(io::Cursor::new(head).chain(r));
        de.deserialize_seq(ArrayVisitor { emit: &mut on_item })
            .map_err(malformed)?;
        de.end().map_err(malformed)
    }
}

fn read_xml(
    r: &mut dyn BufRead,
    format: Option<Format>,
    emit: &mut dyn FnMut(Parsed) -> bool,
) -> Result<(), String> {
    let mut doc = Vec::new();
    r.take(MAX_XML_BYTES + 1)
        .read_to_end(&mut doc)
        .map_err(|e| format!("read error: {e}"))?;
    if doc.len() as u64 > MAX_XML_BYTES {
        return Err(format!("XML document larger than {MAX_XML_BYTES} bytes"));
    }
    let is_oai = match format {
        Some(f) => f == Format::OaiPmh,
        None => {
            let head = String::from_utf8_lossy(&doc[..doc.len().min(4096)]);
            head.contains("<OAI-PMH")
        }
    };
    let records = if is_oai {
        oai::parse_oai(&doc).map_err(|e| e.to_string())?.records
    } else {
        atom::parse_atom(&doc).map_err(|e| e.to_string())?.records
    };
    for (i, rec) in records.into_iter().enumerate() {
        let keep_going = match rec {
            Ok(paper) => emit(Parsed::Record(Box::new(paper.into()), None)),
            Err(reason) => emit(Parsed::Rejected {
                location: format!("record {}", i + 1),
                reason,
            }),
        };
        if !keep_going {
            break;
        }
    }
    Ok(())
}
