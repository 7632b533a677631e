//! Pictures fetched from elsewhere (a paper's thumbnail), checked before anything keeps them:
//! the bytes must be a PNG, JPEG, WebP or GIF by their signature, under a size cap, with sides
//! and pixel counts under caps read from the header (so a "PNG bomb", a small file declaring a
//! huge picture, is refused without being decoded). Only then is the picture decoded (within
//! the same caps) and made again as a JPEG at most [`SHOWN_MAX`] pixels on its longer side:
//! small enough for a small box to keep thousands, and nothing of the original file (a
//! polyglot, metadata) is served. It is named by the SHA-256 of the JPEG.

use sha2::{Digest, Sha256};

/// Largest picture kept, in bytes.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Longest side kept, in pixels.
pub const MAX_SIDE: u64 = 4096;
/// Most pixels kept.
pub const MAX_PIXELS: u64 = 4096 * 3072;
/// The longer side of a stored thumbnail, at most.
pub const SHOWN_MAX: u32 = 480;

/// Why a picture was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Nothing came.
    #[error("empty")]
    Empty,
    /// Larger than [`MAX_BYTES`].
    #[error("{0} bytes, more than the {MAX_BYTES} allowed")]
    TooLarge(usize),
    /// Not a picture of a kind kept (HTML, SVG, a PDF...).
    #[error("not a PNG, JPEG, WebP or GIF picture")]
    NotAnImage,
    /// The header could not be read.
    #[error("the picture's header cannot be read")]
    Unreadable,
    /// The picture could not be decoded or made again.
    #[error("the picture cannot be decoded: {0}")]
    Undecodable(String),
    /// Sides or pixels over the caps.
    #[error("{width}×{height} pixels, more than allowed")]
    TooManyPixels {
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
    },
}

/// A picture that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// SHA-256 of the bytes, hex: its name.
    pub hash: String,
    /// Its type: always `image/jpeg` (the picture is made again as a JPEG).
    pub mime: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The JPEG.
    pub bytes: Vec<u8>,
}

impl Image {
    /// The file extension of its type.
    pub fn ext(&self) -> &'static str {
        ext_of(self.mime)
    }
}

/// The file extension of a kept picture type.
pub fn ext_of(mime: &str) -> &'static str {
    dp_store::thumbnails::ext_of(mime)
}

/// Checks bytes claimed to be a picture.
pub fn check(bytes: Vec<u8>) -> Result<Image, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooLarge(bytes.len()));
    }
    use imagesize::ImageType;
    let mime = match imagesize::image_type(&bytes) {
        Ok(ImageType::Png) => "image/png",
        Ok(ImageType::Jpeg) => "image/jpeg",
        Ok(ImageType::Webp) => "image/webp",
        Ok(ImageType::Gif) => "image/gif",
        _ => return Err(ImageError::NotAnImage),
    };
    let size = imagesize::blob_size(&bytes).map_err(|_| ImageError::Unreadable)?;
    let (w, h) = (size.width as u64, size.height as u64);
    if w == 0 || h == 0 {
        return Err(ImageError::Unreadable);
    }
    if w > MAX_SIDE || h > MAX_SIDE || w * h > MAX_PIXELS {
        return Err(ImageError::TooManyPixels {
            width: w,
            height: h,
        });
    }
    let format = match mime {
        "image/png" => image::ImageFormat::Png,
        "image/jpeg" => image::ImageFormat::Jpeg,
        "image/webp" => image::ImageFormat::WebP,
        _ => image::ImageFormat::Gif,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE as u32);
    limits.max_image_height = Some(MAX_SIDE as u32);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 16 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| ImageError::Undecodable(e.to_string()))?;
    let shown = if decoded.width().max(decoded.height()) > SHOWN_MAX {
        decoded.thumbnail(SHOWN_MAX, SHOWN_MAX)
    } else {
        decoded
    };
    let rgb = shown.to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 82)
        .encode_image(&rgb)
        .map_err(|e| ImageError::Undecodable(e.to_string()))?;
    let hash = Sha256::digest(&jpeg)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Image {
        hash,
        mime: "image/jpeg",
        width: rgb.width(),
        height: rgb.height(),
        bytes: jpeg,
    })
}

/// A PNG header (signature and IHDR chunk) declaring `width`×`height`: enough for [`check`],
/// which reads no further (tests build pictures and bombs with it).
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    b.extend_from_slice(&13u32.to_be_bytes());
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]); // CRC (not checked by a header reader)
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../testkit/fixtures/images/thumb.png");

    #[test]
    fn pictures_are_kept_by_signature_and_caps_and_made_again_as_small_jpegs() {
        let ok = check(FIXTURE.to_vec()).unwrap();
        assert_eq!(
            (ok.mime, ok.width, ok.height, ok.ext()),
            ("image/jpeg", 64, 36, "jpg")
        );
        assert!(ok.bytes.starts_with(&[0xff, 0xd8]), "a JPEG");
        assert_eq!(ok.hash.len(), 64);
        assert_eq!(
            check(FIXTURE.to_vec()).unwrap().hash,
            ok.hash,
            "the same name twice"
        );
        // A large picture is shrunk to SHOWN_MAX on its longer side.
        let big = image::RgbImage::from_pixel(1200, 630, image::Rgb([30, 60, 90]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(big)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let small = check(png).unwrap();
        assert_eq!((small.width, small.height), (480, 252));
        // A header that promises a picture and nothing after it.
        assert!(matches!(
            check(png_header(640, 360)),
            Err(ImageError::Undecodable(_))
        ));
        // A bomb: a tiny file declaring 50,000 × 50,000 pixels, refused before decoding.
        assert_eq!(
            check(png_header(50_000, 50_000)),
            Err(ImageError::TooManyPixels {
                width: 50_000,
                height: 50_000
            })
        );
        assert!(matches!(
            check(png_header(4096, 4096)),
            Err(ImageError::TooManyPixels { .. })
        ));
        assert_eq!(
            check(b"<html><body>Not found</body></html>".to_vec()),
            Err(ImageError::NotAnImage)
        );
        assert_eq!(
            check(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()),
            Err(ImageError::NotAnImage)
        );
        assert_eq!(check(b"%PDF-1.4\n".to_vec()), Err(ImageError::NotAnImage));
        assert_eq!(check(Vec::new()), Err(ImageError::Empty));
        let mut big = png_header(10, 10);
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(check(big), Err(ImageError::TooLarge(MAX_BYTES + 1)));
        assert_eq!(check(png_header(0, 10)), Err(ImageError::Unreadable));
    }
}
