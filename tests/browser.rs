//! The policy brief opened in a real browser: headless Chromium renders `report.html` of
//! an STF run to a screenshot, which must show text, table swatches and chart colours.
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it and sets
//! `FUNDSIM_REQUIRE_SYSTEM_TESTS=1`, so there a missing browser fails the test). Elsewhere
//! a missing browser skips the test loudly on stderr. `FUNDSIM_CHROMIUM` names another
//! binary.

mod charts_support;
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use charts_support::{Image, STRATEGY_COLOURS, contains_colour, ink};
use common::{chromium_for, scratch, stf_run};

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 2200;

/// A `file://` URL for an absolute path, with the characters a URL cannot hold escaped.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(byte as char);
            }
            other => url.push_str(&format!("%{other:02X}")),
        }
    }
    url
}

/// Runs Chromium with a deadline; returns its exit status and output.
fn screenshot(browser: &Path, page: &Path, output: &Path, profile: &Path) -> (bool, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", output.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(file_url(page))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            return (status.success(), text);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_brief_renders_in_headless_chromium() {
    let Some(browser) = chromium_for("the browser test (tests/browser.rs)") else {
        return;
    };
    let page = stf_run()
        .join("report.html")
        .canonicalize()
        .expect("the run wrote report.html");
    let scratch_dir = scratch("browser");
    let dir = scratch_dir.path();
    let output = dir.join("report.png");
    let profile = dir.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let (ok, log) = screenshot(&browser, &page, &output, &profile);
    assert!(ok, "chromium failed:\n{log}");
    let bytes = std::fs::read(&output).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {} ({e}); chromium said:\n{log}",
            output.display()
        )
    });
    let image = Image::decode(&bytes);
    assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
    let whole = image.region((0.0, 0.0, 1.0, 1.0));
    // Not blank: text and tables leave ink over the page...
    let share = ink(&whole);
    assert!(
        share > 0.02,
        "the screenshot is nearly blank ({:.2}% ink)",
        100.0 * share
    );
    assert!(
        share < 0.9,
        "the screenshot is nearly solid ({:.2}% ink)",
        100.0 * share
    );
    // ... the heading is at the top ...
    assert!(
        ink(&image.region((0.03, 0.0, 0.6, 0.04))) > 0.01,
        "no heading at the top"
    );
    // ... and the strategies' colours show (table swatches, the first chart).
    let colours = STRATEGY_COLOURS[1..]
        .iter()
        .filter(|&&c| contains_colour(&whole, c, 20))
        .count();
    assert!(colours >= 3, "only {colours} strategy colours on screen");
}
