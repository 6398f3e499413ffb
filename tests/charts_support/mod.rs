//! Shared by the chart and browser tests: one small STF run folder per test binary,
//! written by the real `fundsim run` (tables, charts and brief), and PNG decoding.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;

/// Replications of the test run: enough for smooth curves, quick in a debug build.
pub const REPLICATIONS: &str = "48";

/// A fresh temporary folder under cargo's per-target temporary directory, removed when
/// dropped.
pub fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

pub fn fundsim() -> Command {
    Command::cargo_bin("fundsim").unwrap()
}

/// The STF scenario run once (48 replications) by `fundsim run`, with charts and brief.
pub fn stf_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        // One fixed folder per test binary, replaced on every test run (a static
        // temporary folder would never be dropped, so never removed).
        let folder = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{}-stf-run", env!("CARGO_CRATE_NAME")));
        let _ = fs::remove_dir_all(&folder);
        fundsim()
            .args(["run", "stf", "-q", "--replications", REPLICATIONS, "--out"])
            .arg(&folder)
            .assert()
            .success();
        folder
    })
}

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
