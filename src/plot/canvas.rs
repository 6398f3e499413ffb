//! Rendering one drawing to a file format: an SVG document, or a PNG at print resolution
//! (RGB, 200 dpi). Every chart kind — run charts, analysis charts, observed survival —
//! goes through these two functions, so all PNGs are encoded alike.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::style;

/// Pixels per metre at 200 dots per inch.
const PIXELS_PER_METRE: u32 = 7874;

/// Draws with `draw` on an SVG canvas of `size` pixels; returns the document.
///
/// # Errors
/// [`PlotError`] when the font cannot be loaded or drawing fails.
pub fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    style::register_fonts()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// Draws with `draw` on a white RGB canvas of `size` pixels; returns it as a PNG.
///
/// # Errors
/// [`PlotError`] when the font cannot be loaded, drawing fails or encoding fails.
pub fn png(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    style::register_fonts()?;
    let mut pixels = vec![255_u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    encode_png(&pixels, width, height)
}

/// Encodes RGB pixels as a PNG that says 200 dpi, so print layouts size it right. Fast
/// compression: charts are mostly flat colour, and the best level costs seconds.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let error = |e: png::EncodingError| PlotError::Encode {
        reason: e.to_string(),
    };
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: PIXELS_PER_METRE,
            yppu: PIXELS_PER_METRE,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(error)?;
        writer.write_image_data(pixels).map_err(error)?;
        writer.finish().map_err(error)?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_says_200_dpi_and_keeps_the_size() {
        let bytes = png((40, 20), |root| {
            root.fill(&RED)?;
            Ok(())
        })
        .unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (40, 20));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let dims = info.pixel_dims.unwrap();
        assert_eq!((dims.xppu, dims.unit), (PIXELS_PER_METRE, png::Unit::Meter));
    }

    #[test]
    fn svg_is_a_document_of_the_size() {
        let svg = svg((40, 20), |root| {
            root.fill(&WHITE)?;
            Ok(())
        })
        .unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("width=\"40\""),
            "{svg}"
        );
    }
}
