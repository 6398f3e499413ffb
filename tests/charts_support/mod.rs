//! Shared by the chart and browser tests: PNG decoding and the pixel checks that tell
//! whether a chart or a screenshot shows what it should. (The binary, temporary folders
//! and the STF run folder they look at are in `common`.)

#![allow(dead_code)]

/// A decoded 8-bit RGB or RGBA image.
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// Bytes per pixel (3 or 4).
    pub channels: usize,
    pub pixels: Vec<u8>,
}

impl Image {
    pub fn decode(bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a valid PNG header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
        let frame = reader.next_frame(&mut pixels).expect("valid PNG data");
        assert_eq!(frame.bit_depth, png::BitDepth::Eight, "8-bit PNG expected");
        let channels = match frame.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("RGB(A) PNG expected, got {other:?}"),
        };
        pixels.truncate(frame.buffer_size());
        Image {
            width: frame.width,
            height: frame.height,
            channels,
            pixels,
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// Pixels in the rectangle given as fractions of the size (x0, y0, x1, y1).
    pub fn region(&self, (x0, y0, x1, y1): (f64, f64, f64, f64)) -> Vec<[u8; 3]> {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let mut out = Vec::new();
        for y in (y0 * h) as u32..(y1 * h) as u32 {
            for x in (x0 * w) as u32..(x1 * w) as u32 {
                out.push(self.pixel(x, y));
            }
        }
        out
    }
}

/// Share of pixels that are not (near) white.
pub fn ink(pixels: &[[u8; 3]]) -> f64 {
    let drawn = pixels.iter().filter(|p| p.iter().any(|&c| c < 235)).count();
    drawn as f64 / pixels.len().max(1) as f64
}

/// Pixels of a clear colour (not white, grey or black): data drawn in strategy colours.
pub fn coloured(pixels: &[[u8; 3]]) -> usize {
    pixels
        .iter()
        .filter(|p| {
            let (max, min) = (p.iter().max().unwrap(), p.iter().min().unwrap());
            max - min > 60
        })
        .count()
}

/// Whether a pixel close to `colour` (each channel within `tolerance`) occurs.
pub fn contains_colour(pixels: &[[u8; 3]], colour: [u8; 3], tolerance: u8) -> bool {
    pixels.iter().any(|p| {
        p.iter()
            .zip(colour)
            .all(|(&a, b)| a.abs_diff(b) <= tolerance)
    })
}

/// The Okabe–Ito colours of the first five strategies (scenario order).
pub const STRATEGY_COLOURS: [[u8; 3]; 5] = [
    [0, 0, 0],
    [230, 159, 0],
    [86, 180, 233],
    [0, 158, 115],
    [0, 114, 178],
];
