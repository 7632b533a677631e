//! Parameters the API's handlers read alike: bounded numbers and arXiv ids, refused with a 400
//! that names the parameter.

use crate::AppError;
use dp_core::ArxivId;

/// A number parameter in `min..=max`.
pub fn number(
    name: &str,
    v: Option<&str>,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, AppError> {
    match v {
        None | Some("") => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(AppError::bad_request(format!(
                "invalid {name}: expected an integer from {min} to {max}"
            ))),
        },
    }
}

/// A paper id from a path: any arXiv id form (a version suffix is ignored).
pub fn parse_id(raw: &str) -> Result<ArxivId, AppError> {
    ArxivId::parse(raw)
        .map(|id| id.unversioned())
        .map_err(|e| AppError::bad_request(format!("invalid id: {e}")))
}
