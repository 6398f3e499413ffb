//! Small HTML helpers: escaping, number formats, base64 for the embedded font, the
//! brief's style sheet.

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648) with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The number of decimals that shows an interval's width: one when it is narrower
/// than two units, none otherwise.
fn decimals(low: f64, high: f64) -> usize {
    if (high - low).abs() < 2.0 { 1 } else { 0 }
}

/// A share (0..1) as a percentage with its interval: "87.1% (86.8–87.4%)".
pub fn percent_with_interval(mean: f64, interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((low, high)) => {
            let d = decimals(100.0 * low, 100.0 * high);
            format!(
                "{:.d$}% ({:.d$}–{:.d$}%)",
                100.0 * mean,
                100.0 * low,
                100.0 * high
            )
        }
        None => format!("{:.1}%", 100.0 * mean),
    }
}

/// A share (0..1) as a percentage with the decimals its interval needs.
pub fn percent(mean: f64, interval: Option<(f64, f64)>) -> String {
    let d = interval.map_or(1, |(low, high)| decimals(100.0 * low, 100.0 * high));
    format!("{:.d$}%", 100.0 * mean)
}

/// A number with `digits` decimals and its interval: "6.1 (5.9–6.2)".
pub fn number_with_interval(mean: f64, interval: Option<(f64, f64)>, digits: usize) -> String {
    match interval {
        Some((low, high)) => format!(
            "{} ({}–{})",
            signed(mean, digits),
            signed(low, digits),
            signed(high, digits)
        ),
        None => signed(mean, digits),
    }
}

/// A number and its interval with as many decimals as the interval's width needs (at
/// most three): "2.10 (2.06–2.13)", "6.1 (5.9–6.2)", "87 (85–89)".
pub fn number_auto(mean: f64, interval: Option<(f64, f64)>) -> String {
    let digits = interval.map_or(1, |(low, high)| {
        let half = (high - low).abs() / 2.0;
        if half > 0.0 && half.is_finite() {
            (-half.log10()).ceil().clamp(0.0, 3.0) as usize
        } else {
            1
        }
    });
    number_with_interval(mean, interval, digits)
}

/// A number with a typographic minus sign.
pub fn signed(value: f64, digits: usize) -> String {
    let text = format!("{:.digits$}", value + 0.0);
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => format!("−{rest}"),
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// A value of any magnitude with about four significant digits (the all-metrics table).
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 {
        "0".into()
    } else if magnitude >= 1e4 {
        crate::plot::style::thousands(value)
    } else if magnitude >= 100.0 {
        signed(value, 1)
    } else if magnitude >= 1.0 {
        signed(value, 3)
    } else {
        signed(value, 4)
    }
}

/// The brief's style sheet: readable on screen, clean on paper (A4, no dark fills,
/// figures and table rows kept whole).
pub const CSS: &str = r#"
:root { --text: #222; --muted: #5f5f5f; --rule: #d8d8d8; --shade: #f4f4f4; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", Verdana, "Helvetica Neue", Arial, sans-serif; color: var(--text);
  background: #fff; margin: 0; line-height: 1.5; font-size: 15px; }
main { max-width: 1060px; margin: 0 auto; padding: 32px 40px 56px; }
header { border-bottom: 3px solid var(--text); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 28px; margin: 0 0 6px; line-height: 1.25; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 0 0 10px; }
.lead { font-size: 16px; color: var(--muted); margin: 0; }
.meta { font-size: 13px; color: var(--muted); margin-top: 6px; }
.findings { margin: 0; padding-left: 22px; }
.findings li { margin-bottom: 8px; font-size: 16px; }
.note { font-size: 13px; color: var(--muted); }
.notice { border: 2px solid #b35900; background: #fff5e8; padding: 10px 16px 4px; margin: 0 0 20px;
  break-inside: avoid; page-break-inside: avoid; }
.notice ul { margin: 4px 0 8px; padding-left: 22px; }
.notice li { margin-bottom: 6px; }
.unspent { font-size: 13px; font-weight: bold; color: #8a4500; white-space: normal; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 8px; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: var(--shade); font-weight: bold; }
th:first-child, td:first-child { text-align: left; }
td.text, th.text { text-align: left; }
td .note { white-space: nowrap; }
td.text .note { white-space: normal; }
td.text:first-child { min-width: 190px; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -1px; border: 1px solid rgba(0,0,0,0.25); }
figure { margin: 22px 0 28px; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--rule); }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; background: var(--shade);
  padding: 1px 4px; border-radius: 3px; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--rule); padding-top: 8px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: 8.5pt; }
  figure svg { border: none; width: auto; height: auto; max-width: 100%; max-height: 118mm; margin: 0 auto; }
  figure.chart { break-before: auto; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            percent_with_interval(0.8712, Some((0.868, 0.874))),
            "87.1% (86.8–87.4%)"
        );
        assert_eq!(
            percent_with_interval(0.87, Some((0.85, 0.89))),
            "87% (85–89%)"
        );
        assert_eq!(signed(-0.04, 1), "0.0");
        assert_eq!(signed(-1.26, 1), "−1.3");
        assert_eq!(
            number_with_interval(6.07, Some((5.92, 6.22)), 1),
            "6.1 (5.9–6.2)"
        );
        assert_eq!(compact(21_181_038.1), "21,181,038");
        assert_eq!(number_auto(2.098, Some((2.064, 2.132))), "2.10 (2.06–2.13)");
        assert_eq!(number_auto(6.07, Some((5.92, 6.22))), "6.1 (5.9–6.2)");
        assert_eq!(number_auto(87.2, Some((85.1, 89.3))), "87 (85–89)");
        assert_eq!(compact(0.04805), "0.0481");
    }
}
