//! The web app of `fundsim serve` in a real browser: headless Chromium, driven over the
//! Chrome DevTools Protocol, loads the page, types a new budget, waits for the strategy
//! table to change, downloads the scenario TOML the page offers, and checks that
//! `fundsim run` on that file gives exactly the table's numbers; downloads the run folder
//! (zip) and the brief from their buttons; pins the configuration and compares it with a
//! new budget (A/B); opens the share link in a fresh page; then it saves a screenshot and
//! checks that it shows the page (text, the strategies' colours).
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it and sets
//! `FUNDSIM_REQUIRE_SYSTEM_TESTS=1`, so there a missing browser fails the test). Elsewhere
//! a missing browser skips the test loudly on stderr. `FUNDSIM_CHROMIUM` names another
//! binary. The protocol needs no driver program: Chromium opens a websocket on a port it
//! chooses and writes into its profile folder (`DevToolsActivePort`).

mod charts_support;
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use charts_support::{Image, STRATEGY_COLOURS, contains_colour, ink};
use common::{BIN, chromium_for, scratch};
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

const WIDTH: u32 = 1400;
const HEIGHT: u32 = 2000;
/// Every wait has this bound, so a hung server or browser fails the test instead of CI.
const PATIENCE: Duration = Duration::from_secs(180);

/// A child process killed when dropped: the server and the browser end with the test,
/// also when an assertion fails half-way.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `fundsim serve --port 0` on the loopback address; returns the process and the page's
/// address, which the server prints as its first line of output.
fn start_server() -> (Killed, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("fundsim serve starts");
    let stdout = child.stdout.take().unwrap();
    let server = Killed(child);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end, also once the address is known: the server's output never
        // meets a closed pipe.
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = receiver
            .recv_timeout(left)
            .expect("fundsim serve printed its address within a minute");
        if let Some(at) = line.find("http://127.0.0.1:") {
            let url = line[at..].split_whitespace().next().unwrap().to_string();
            return (server, url);
        }
    }
}

/// Headless Chromium with the DevTools protocol on a port of its choice; returns the
/// process and the browser's websocket address.
fn start_browser(browser: &Path, profile: &Path) -> (Killed, String) {
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let browser = Killed(child);
    // Chromium writes the port and the browser target's path once it listens.
    let file = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            // Both lines complete: the file may be read while it is being written.
            if let (Some(port), Some(path)) = (lines.next(), lines.next())
                && port.parse::<u16>().is_ok()
                // ... and the browser's id, a UUID, whole.
                && path.strip_prefix("/devtools/browser/").is_some_and(|id| id.len() == 36)
            {
                return (browser, format!("ws://127.0.0.1:{port}{path}"));
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromium did not open its DevTools port within a minute"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A minimal Chrome DevTools Protocol client: one websocket to the browser, commands sent
/// to one page through a flattened session, events ignored.
struct Cdp {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    fn connect(url: &str) -> Cdp {
        let (socket, _) = tungstenite::connect(url).expect("the DevTools websocket opens");
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            // A read never blocks past the test's patience.
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
        }
        Cdp {
            socket,
            next_id: 0,
            session: None,
        }
    }

    /// Sends `method` and waits for its answer; a protocol error fails the test.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .unwrap_or_else(|e| panic!("{method}: cannot send: {e}"));
        loop {
            let message = self
                .socket
                .read()
                .unwrap_or_else(|e| panic!("{method}: no answer from chromium: {e}"));
            let Message::Text(text) = message else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str()).unwrap();
            if answer["id"] != json!(id) {
                continue; // an event, or another session's message
            }
            if let Some(error) = answer.get("error") {
                panic!("{method} failed: {error}");
            }
            return answer["result"].clone();
        }
    }

    /// A new page (tab) that later calls go to.
    fn open_page(&mut self) {
        let target = self.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        self.session = Some(attached["sessionId"].as_str().unwrap().to_string());
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false}),
        );
    }

    /// The value of a JavaScript expression in the page (promises awaited); an exception
    /// fails the test.
    fn eval(&mut self, expression: &str) -> Value {
        let answer = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = answer.get("exceptionDetails") {
            panic!("the page threw on `{expression}`: {exception}");
        }
        answer["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page.
    fn wait_for(&mut self, what: &str, expression: &str) {
        let deadline = Instant::now() + PATIENCE;
        while self.eval(expression) != json!(true) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {PATIENCE:?}; the page says: {}",
                self.eval("document.getElementById('status-text').textContent + ' | ' + document.getElementById('top-errors').textContent")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Types `text` into the element with id `id` as a person would: focus, select what is
    /// there, then one key press per character.
    fn type_into(&mut self, id: &str, text: &str) {
        self.eval(&format!(
            "(() => {{ const e = document.getElementById('{id}'); e.focus(); e.select(); return true; }})()"
        ));
        for character in text.chars() {
            let key = character.to_string();
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": "keyDown", "key": key, "text": key}),
            );
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": "keyUp", "key": key}),
            );
        }
    }

    /// Downloads go to `folder`, under the names the page gives them.
    fn allow_downloads(&mut self, folder: &Path) {
        // A browser-wide setting: sent outside the page's session.
        let session = self.session.take();
        self.call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": folder.to_str().unwrap()}),
        );
        self.session = session;
    }

    /// Clicks the link with id `id` and waits for its file to arrive in `folder`.
    fn download(&mut self, folder: &Path, id: &str) -> PathBuf {
        let name = self.eval(&format!("document.getElementById('{id}').download"));
        let name = name.as_str().expect("the link names its file").to_string();
        assert!(!name.is_empty(), "the link #{id} names its file");
        self.eval(&format!("document.getElementById('{id}').click(); true"));
        let path = folder.join(&name);
        let deadline = Instant::now() + Duration::from_secs(60);
        // Chromium writes `NAME.crdownload` and renames it when the download is complete.
        while !path.is_file() {
            assert!(
                Instant::now() < deadline,
                "{name} was not downloaded within a minute"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        path
    }

    /// Clicks the button with id `id`, which fetches a file and saves it under a name
    /// ending in `suffix`; waits for that file to arrive in `folder`.
    fn download_by_button(&mut self, folder: &Path, id: &str, suffix: &str) -> PathBuf {
        self.eval(&format!("document.getElementById('{id}').click(); true"));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let arrived = std::fs::read_dir(folder)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .find(|path| path.to_string_lossy().ends_with(suffix));
            if let Some(path) = arrived {
                return path;
            }
            assert!(
                Instant::now() < deadline,
                "no file *{suffix} from #{id} within {PATIENCE:?}; the page says: {}",
                self.eval("document.getElementById('status-text').textContent + ' | ' + document.getElementById('top-errors').textContent")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        data_encoding::BASE64
            .decode(shot["data"].as_str().unwrap().as_bytes())
            .expect("the screenshot is base64")
    }
}

/// The strategy table's numbers as the page holds them (each cell keeps the mean it
/// shows at full precision): (strategy, metric) → mean.
const TABLE: &str = "Array.from(document.querySelectorAll('#strategy-table td[data-mean]'))\
    .map(td => [td.closest('tr').dataset.strategy, td.dataset.metric, td.dataset.mean])";

fn table_of(cdp: &mut Cdp) -> BTreeMap<(String, String), String> {
    let rows = cdp.eval(TABLE);
    rows.as_array()
        .expect("the table's cells")
        .iter()
        .map(|row| {
            let text = |i: usize| row[i].as_str().unwrap().to_string();
            ((text(0), text(1)), text(2))
        })
        .collect()
}

/// summary.csv of a run folder: (strategy, metric) → mean, as written.
fn summary_of(folder: &Path) -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(folder.join("summary.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("strategy,metric,mean,ci_low,ci_high,mcse")
    );
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                (fields[0].to_string(), fields[1].to_string()),
                fields[2].to_string(),
            )
        })
        .collect()
}

/// The strategy table as shown: `strategy/metric` → the mean's text.
const SHOWN: &str = "Object.fromEntries(Array.from(document.querySelectorAll('#strategy-table td[data-mean]'))\
    .map(td => [td.closest('tr').dataset.strategy + '/' + td.dataset.metric, td.querySelector('.mean').textContent]))";

/// The page's state attribute and the table's row count, for messages.
const FINAL: &str = "document.getElementById('results')?.dataset.state === 'final' \
    && document.querySelectorAll('#strategy-table tbody tr').length > 0";

#[test]
fn the_web_app_runs_an_edited_budget_that_fundsim_run_reproduces() {
    let Some(browser) = chromium_for("the web app's browser test (tests/serve_browser.rs)") else {
        return;
    };
    let scratch_dir = scratch("serve-browser");
    let dir = scratch_dir.path();
    let profile = dir.join("profile");
    std::fs::create_dir_all(&profile).unwrap();

    let (_server, url) = start_server();
    let (_browser, websocket) = start_browser(&browser, &profile);
    let mut cdp = Cdp::connect(&websocket);
    cdp.open_page();
    cdp.call("Page.navigate", json!({"url": url}));
    // Navigation answers before the document is there. Once a result is in, the page
    // writes its share link into the address's `#c=…` part, so compare without it.
    cdp.wait_for(
        "the page to load",
        &format!(
            "location.href.split('#')[0] === {} && document.readyState === 'complete'",
            json!(url)
        ),
    );

    // The default scenario's first full result.
    cdp.wait_for("the first full result", FINAL);
    let before = table_of(&mut cdp);
    assert!(!before.is_empty(), "the table shows numbers");
    cdp.eval(&format!(
        "window.tableBefore = JSON.stringify({TABLE}); true"
    ));

    // A budget the CLI refuses: its message appears under the budget field.
    cdp.type_into("f-fund-budget_eur", "-5");
    cdp.wait_for(
        "the refusal of a negative budget next to the field",
        "!document.getElementById('err-fund-budget_eur').hidden \
         && document.getElementById('err-fund-budget_eur').textContent.includes('(got -5)') \
         && document.getElementById('f-fund-budget_eur').getAttribute('aria-invalid') === 'true'",
    );

    // A new budget, typed as a person would; the table must change.
    cdp.type_into("f-fund-budget_eur", "15000000");
    cdp.wait_for(
        "a result for the new budget",
        &format!("{FINAL} && JSON.stringify({TABLE}) !== window.tableBefore"),
    );
    let after = table_of(&mut cdp);
    assert_ne!(before, after, "the table changed with the budget");
    let paid = |table: &BTreeMap<(String, String), String>| -> f64 {
        table
            .iter()
            .filter(|((_, metric), _)| metric == "total_paid_eur")
            .map(|(_, mean)| mean.parse::<f64>().unwrap())
            .fold(0.0, f64::max)
    };
    assert!(
        paid(&after) <= 15e6 && paid(&before) > 15e6,
        "the most any strategy paid follows the budget: {} before, {} after",
        paid(&before),
        paid(&after)
    );

    // The scenario the page offers, downloaded as a person would: a click on its link.
    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    cdp.allow_downloads(&downloads);
    let scenario = cdp.download(&downloads, "download-toml");
    let csv_offered = cdp.eval("!document.getElementById('download-csv').hidden");
    if csv_offered == json!(true) {
        cdp.download(&downloads, "download-csv");
    }
    // ... and the other files it names (stf's joint draws), each under the name it gives.
    let companions = cdp.eval("document.querySelectorAll('#download-files a').length");
    for index in 0..companions.as_u64().unwrap() {
        cdp.eval(&format!(
            "document.querySelectorAll('#download-files a')[{index}].id = 'companion-{index}'; true"
        ));
        cdp.download(&downloads, &format!("companion-{index}"));
    }
    let out = dir.join("cli-run");
    let status = Command::new(BIN)
        .args(["run", "--quiet", "--no-charts", "--out"])
        .arg(&out)
        .arg(&scenario)
        .status()
        .unwrap();
    assert!(status.success(), "fundsim run on the page's TOML");
    let cli = summary_of(&out);
    let mut compared = 0;
    for (key, shown) in &after {
        let written = cli
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} is in the page's table but not in summary.csv"));
        // A metric undefined for a strategy (a cost per effect of no funding) is empty in
        // both; every other must be the same number (the page keeps JavaScript's shortest
        // form of the double, the CSV Rust's: equal as numbers, not always as text).
        let number = |text: &str| (!text.is_empty()).then(|| text.parse::<f64>().unwrap());
        assert_eq!(
            number(shown),
            number(written),
            "{key:?}: the page shows {shown:?}, fundsim run wrote {written:?}"
        );
        compared += 1;
    }
    let strategies = cdp.eval("document.querySelectorAll('#strategy-table tbody tr').length");
    assert!(
        compared >= 4 * strategies.as_u64().unwrap() as usize,
        "only {compared} numbers compared"
    );

    // The run folder as a zip and the brief, each from its button: the zip's summary.csv
    // is the one `fundsim run` wrote from the page's TOML, byte for byte.
    let zip = cdp.download_by_button(&downloads, "download-zip", "-run.zip");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut zipped_summary = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name("summary.csv")
            .expect("summary.csv in the zip"),
        &mut zipped_summary,
    )
    .unwrap();
    assert_eq!(
        zipped_summary,
        std::fs::read_to_string(out.join("summary.csv")).unwrap(),
        "the zip's summary.csv is fundsim run's"
    );
    let brief = cdp.download_by_button(&downloads, "download-brief", "-brief.html");
    let brief = std::fs::read_to_string(brief).unwrap();
    assert!(brief.contains("<html") && brief.contains("equal-front"));

    // A/B: pin the EUR 15M configuration as A, type EUR 20M; the compare table pairs them.
    let shown_a = cdp.eval(SHOWN);
    cdp.eval("document.getElementById('pin').click(); true");
    cdp.wait_for(
        "the pinned configuration's summary",
        "document.getElementById('pin-summary').textContent.includes('fund.budget_eur = 15,000,000')",
    );
    cdp.eval(&format!(
        "window.tableBefore = JSON.stringify({TABLE}); true"
    ));
    cdp.type_into("f-fund-budget_eur", "20000000");
    cdp.wait_for(
        "A (EUR 15M) and B (EUR 20M) compared",
        &format!(
            "{FINAL} && JSON.stringify({TABLE}) !== window.tableBefore \
             && document.getElementById('status-text').textContent.includes('A and B compared') \
             && !document.getElementById('compare-table').hidden"
        ),
    );
    let shown_b = cdp.eval(SHOWN);
    let rows = cdp.eval(
        "Array.from(document.querySelectorAll('#compare-table tbody tr')).map(tr => \
         [tr.dataset.strategy, tr.dataset.metric, ...Array.from(tr.querySelectorAll('td')).map(td => td.textContent)])",
    );
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 5, "a row per strategy and metric: {rows:?}");
    let mut paid_more = 0;
    for row in rows {
        let text = |i: usize| row[i].as_str().unwrap();
        let (strategy, metric, a, b, difference) = (text(0), text(1), text(3), text(4), text(5));
        let cell = format!("{strategy}/{metric}");
        assert_eq!(a, shown_a[&cell], "{cell}: A is the pinned table's");
        assert_eq!(b, shown_b[&cell], "{cell}: B is the current table's");
        if strategy == "none" {
            // Paired on the same random numbers, no funding is the same run twice.
            assert!(
                !difference.chars().any(|c| ('1'..='9').contains(&c)),
                "{cell}: B − A of no funding is {difference}"
            );
        }
        if metric == "total_paid_eur" && strategy != "none" {
            assert!(difference.starts_with('+'), "{cell}: paid {difference}");
            paid_more += 1;
        }
    }
    assert!(
        paid_more >= 4,
        "every funded strategy pays more with more money"
    );

    // The share link: a fresh page opened on it shows the same configuration and numbers.
    let link = cdp.eval("document.getElementById('share-url').value");
    let link = link.as_str().unwrap().to_string();
    assert!(link.starts_with(&format!("{url}#c=")), "{link}");
    let table_b = cdp.eval(&format!("JSON.stringify({TABLE})"));
    cdp.call("Page.navigate", json!({"url": "about:blank"}));
    cdp.wait_for("a blank page", "location.href === 'about:blank'");
    cdp.call("Page.navigate", json!({"url": link}));
    cdp.wait_for(
        "the shared configuration's result",
        &format!(
            "document.readyState === 'complete' && {FINAL} \
             && document.getElementById('f-fund-budget_eur').value === '20000000'"
        ),
    );
    assert_eq!(
        cdp.eval(&format!("JSON.stringify({TABLE})")),
        table_b,
        "the shared link reproduces the table"
    );

    // The screenshot: the page, not a blank or an error.
    cdp.wait_for(
        "the charts to load",
        "Array.from(document.querySelectorAll('.chart img')).every(i => i.complete && i.naturalWidth > 0)",
    );
    assert_eq!(
        cdp.eval("document.getElementById('top-errors').hidden"),
        json!(true),
        "no error shown"
    );
    let bytes = cdp.screenshot();
    let output = dir.join("web-app.png");
    std::fs::write(&output, &bytes).unwrap();
    if let Some(copy) = std::env::var_os("FUNDSIM_SCREENSHOT") {
        std::fs::write(copy, &bytes).unwrap();
    }
    let image = Image::decode(&bytes);
    assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
    let whole = image.region((0.0, 0.0, 1.0, 1.0));
    let share = ink(&whole);
    assert!(
        share > 0.02 && share < 0.9,
        "the screenshot is blank or solid ({:.2}% ink): {}",
        100.0 * share,
        output.display()
    );
    let colours = STRATEGY_COLOURS[1..]
        .iter()
        .filter(|&&c| contains_colour(&whole, c, 20))
        .count();
    assert!(
        colours >= 3,
        "only {colours} strategy colours on screen: {}",
        output.display()
    );
}
