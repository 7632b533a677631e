//! PostgreSQL's binary `COPY … FROM STDIN` format, for writing a whole batch in one stream
//! instead of multi-row `INSERT`s with thousands of bound parameters (which PostgreSQL parses
//! and plans per statement).
//!
//! A batch is copied into a temporary staging table of the transaction and merged from there
//! with one `INSERT … SELECT … ON CONFLICT`, so the merge rules are the same SQL as SQLite's
//! path. The values are the same [`Arg`]s the `INSERT` path binds.
//!
//! Format (PostgreSQL manual, `COPY`, "Binary Format"): an 11-byte signature, a 32-bit flags
//! field and a 32-bit header-extension length; per row a 16-bit field count, then per field a
//! 32-bit length (−1 for NULL) and the value in the type's binary send format (`text`: UTF-8
//! bytes; `bigint`: 8 bytes, big-endian; `boolean`: one byte; `bytea`: raw bytes); a 16-bit
//! −1 ends the stream.

use super::Arg;
use crate::StoreError;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Rows encoded for a binary COPY, all with the same number of fields.
pub(crate) struct CopyRows {
    buf: Vec<u8>,
    fields: usize,
}

impl CopyRows {
    /// An empty stream of rows of `fields` fields.
    pub fn new(fields: usize) -> CopyRows {
        let mut buf = Vec::with_capacity(256 * 1024);
        buf.extend_from_slice(SIGNATURE);
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        CopyRows { buf, fields }
    }

    /// Appends one row; refuses a row whose field count differs or a value over 1 GiB (which
    /// PostgreSQL would refuse too).
    pub fn push(&mut self, row: &[Arg<'_>]) -> Result<(), StoreError> {
        if row.len() != self.fields {
            return Err(StoreError::Corrupt(format!(
                "COPY row of {} fields where {} are expected",
                row.len(),
                self.fields
            )));
        }
        let count = i16::try_from(self.fields)
            .map_err(|_| StoreError::Corrupt("too many COPY fields".into()))?;
        self.buf.extend_from_slice(&count.to_be_bytes());
        for arg in row {
            match arg {
                Arg::Int(v) | Arg::OptInt(Some(v)) => self.value(&v.to_be_bytes())?,
                Arg::Str(s) | Arg::OptStr(Some(s)) => self.value(s.as_bytes())?,
                Arg::Text(s) | Arg::OptText(Some(s)) => self.value(s.as_bytes())?,
                Arg::Bool(b) => self.value(&[u8::from(*b)])?,
                Arg::Bytes(b) => self.value(b)?,
                Arg::OptInt(None) | Arg::OptStr(None) | Arg::OptText(None) => {
                    self.buf.extend_from_slice(&(-1i32).to_be_bytes())
                }
            }
        }
        Ok(())
    }

    fn value(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let len = i32::try_from(bytes.len())
            .ok()
            .filter(|n| *n < (1 << 30))
            .ok_or_else(|| StoreError::Conflict("a value over 1 GiB".into()))?;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The stream, with its end marker.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_encoded_as_postgres_reads_them() {
        let mut rows = CopyRows::new(3);
        rows.push(&[Arg::Int(7), Arg::Str("é"), Arg::OptText(None)])
            .unwrap();
        let bytes = rows.finish();
        let mut want = SIGNATURE.to_vec();
        want.extend([0, 0, 0, 0, 0, 0, 0, 0]); // flags, header extension
        want.extend([0, 3]); // fields
        want.extend([0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]); // bigint 7
        want.extend([0, 0, 0, 2, 0xc3, 0xa9]); // "é" in UTF-8
        want.extend([0xff, 0xff, 0xff, 0xff]); // NULL
        want.extend([0xff, 0xff]); // end
        assert_eq!(bytes, want);
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut rows = CopyRows::new(2);
        assert!(rows.push(&[Arg::Int(1)]).is_err());
        // Nothing of the refused row was written.
        assert_eq!(rows.finish().len(), SIGNATURE.len() + 8 + 2);
    }
}
