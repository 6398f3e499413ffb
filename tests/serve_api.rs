//! `fundsim serve`'s HTTP API, driven over a real socket: good runs (whose downloaded
//! TOML reproduces the numbers with `fundsim run`, byte for byte), every kind of bad
//! input with the CLI's messages, the limits, streaming progress, A/B comparison, the
//! downloads, the security headers, and cancellation (a client that disconnects frees
//! its slot, seen in the server's own counter of running jobs).

mod serve_client;

use std::io::{BufRead, BufReader};
use std::net::Shutdown;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use serve_client::{BIN, Server, request, send};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// `fundsim run FILE` in `dir`; its summary.csv rows.
fn summary_of_cli_run(dir: &Path, file: &str) -> Vec<Vec<String>> {
    let status = std::process::Command::new(BIN)
        .args(["run", file, "--out", "out", "--quiet", "--no-charts"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "fundsim run {file}");
    let mut reader = csv::Reader::from_path(dir.join("out/summary.csv")).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The number texts of the `summary` rows of a run answer, read from the raw JSON body
/// (a JSON parser's float conversion need not be exact; Rust's `parse` is): per row,
/// `key → text`. The server writes objects with sorted keys and no spaces.
fn summary_texts(body: &str) -> Vec<Vec<(String, String)>> {
    let start = body.find("\"summary\":[{").expect("a summary") + "\"summary\":[{".len();
    let end = start + body[start..].find("}]").expect("the summary's end");
    body[start..end]
        .split("},{")
        .map(|row| {
            row.split(',')
                .map(|field| {
                    let (key, value) = field.split_once(':').expect("key:value");
                    (
                        key.trim_matches('"').to_string(),
                        value.trim_matches('"').to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

/// The API's summary rows are the CLI's, number for number (the JSON number and the CSV
/// cell are both the shortest text of the same double; an empty cell is null).
fn assert_same_summary(body: &str, cli: &[Vec<String>]) {
    let rows = summary_texts(body);
    assert_eq!(rows.len(), cli.len());
    for (row, cells) in rows.iter().zip(cli) {
        let get = |key: &str| row.iter().find(|(k, _)| k == key).unwrap().1.clone();
        assert_eq!(get("strategy"), cells[0]);
        assert_eq!(get("metric"), cells[1]);
        for (key, cell) in ["mean", "ci_low", "ci_high", "mcse"]
            .iter()
            .zip(&cells[2..])
        {
            let text = get(key);
            match cell.as_str() {
                "" => assert_eq!(text, "null", "{key}: {row:?}"),
                cell => assert_eq!(
                    text.parse::<f64>().unwrap().to_bits(),
                    cell.parse::<f64>().unwrap().to_bits(),
                    "{} {} {key}: {text} vs {cell}",
                    cells[0],
                    cells[1]
                ),
            }
        }
    }
}

/// Writes the answer's scenario and the CSVs it names into `dir`, as a user saving the
/// download would.
fn save_download(answer: &Value, dir: &Path) {
    std::fs::write(
        dir.join("scenario.toml"),
        answer["scenario_toml"].as_str().unwrap(),
    )
    .unwrap();
    for (file, text) in [
        ("portfolio_file", "portfolio_csv"),
        ("joint_file", "joint_csv"),
    ] {
        if let (Some(file), Some(text)) = (answer[file].as_str(), answer[text].as_str()) {
            std::fs::write(dir.join(file), text).unwrap();
        }
    }
}

#[test]
fn a_run_answers_the_clis_numbers_and_its_toml_reproduces_them() {
    let server = Server::start(&["--threads", "2"]);
    let body =
        r#"{"scenario": "stf", "replications": 48, "seed": 11, "set": {"fund.budget_eur": 15e6}}"#;
    let response = server.post("/api/run", body);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-security-policy"), Some(CSP));
    let answer = response.json();
    assert_eq!(answer["replications"], 48);
    assert_eq!(answer["seed"], 11);
    assert_eq!(answer["strategies"].as_array().unwrap().len(), 5);
    assert_eq!(answer["strategies"][0]["name"], "none");
    let toml = answer["scenario_toml"].as_str().unwrap();
    assert!(
        toml.contains("15000000"),
        "the setting is written into the TOML"
    );
    // The stf table draws parameter sets: the answer says how they spread.
    assert!(answer["uncertainty"]["parameter_sets"].as_u64().unwrap() >= 2);
    let curve = &answer["survival"][0];
    assert_eq!(curve["strategy"], "none");
    assert_eq!(curve["months"][0], 0);
    assert_eq!(curve["survival"][0], 1.0);
    for chart in ["survival", "cost_effectiveness"] {
        assert!(
            answer["charts"][chart]
                .as_str()
                .unwrap()
                .starts_with("<svg")
        );
    }
    let dir = tempfile::tempdir().unwrap();
    save_download(&answer, dir.path());
    assert_same_summary(
        &response.text(),
        &summary_of_cli_run(dir.path(), "scenario.toml"),
    );
    // The run folder the server zips is the CLI's, table for table.
    let zip = server.post("/api/download/zip", body);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).unwrap();
    for table in [
        "summary.csv",
        "survival.csv",
        "ranking.csv",
        "uncertainty.csv",
    ] {
        let mut served = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(table).unwrap(), &mut served).unwrap();
        let written = std::fs::read(dir.path().join("out").join(table)).unwrap();
        assert!(served == written, "{table} differs from fundsim run's");
    }
    // Nothing was written where the server runs.
    assert_eq!(std::fs::read_dir(server.dir.path()).unwrap().count(), 0);
}

#[test]
fn a_clients_toml_with_its_portfolio_csv_runs_and_reproduces() {
    let server = Server::start(&["--threads", "1"]);
    let body = json!({
        "scenario": fixture("csv-portfolio.toml"),
        "portfolio_csv": fixture("portfolio.csv"),
        "file_name": "mine.toml",
        "replications": 20,
    });
    let response = server.post("/api/run", &body.to_string());
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json();
    assert_eq!(answer["portfolio_file"], "portfolio.csv");
    assert!(answer["uncertainty"].is_null());
    let dir = tempfile::tempdir().unwrap();
    save_download(&answer, dir.path());
    assert_same_summary(
        &response.text(),
        &summary_of_cli_run(dir.path(), "scenario.toml"),
    );
}

/// Posts `body` to /api/run and returns (status, answer).
fn run_status(server: &Server, body: &Value) -> (u16, Value) {
    let response = server.post("/api/run", &body.to_string());
    (response.status, response.json())
}

#[test]
fn bad_input_gets_400_with_the_clis_message_and_the_full_key() {
    let server = Server::start(&["--threads", "1"]);
    // Not TOML: the file and line are named.
    let (status, answer) = run_status(
        &server,
        &json!({"scenario": "name = \"x\"\n[fund\nbudget_eur = 5"}),
    );
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("scenario.toml:2"),
        "{answer}"
    );
    // An unknown key in the TOML.
    let text = fixture("csv-portfolio.toml").replace("budget_eur", "budgett_eur");
    let (status, answer) = run_status(
        &server,
        &json!({"scenario": text, "file_name": "mine.toml"}),
    );
    assert_eq!(status, 400);
    let message = answer["error"].as_str().unwrap();
    assert!(
        message.contains("mine.toml") && message.contains("budgett_eur"),
        "{answer}"
    );
    // An out-of-range value in the TOML: the problem names the full key.
    let text = fixture("csv-portfolio.toml").replace("2_000_000.0", "-5.0");
    let (status, answer) = run_status(
        &server,
        &json!({"scenario": text, "portfolio_csv": fixture("portfolio.csv")}),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["problems"][0]["key"], "fund.budget_eur", "{answer}");
    assert!(
        answer["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("-5"),
        "{answer}"
    );
    // An out-of-range setting, in a strategy: the CLI's `--set` message and the key.
    let (status, answer) = run_status(
        &server,
        &json!({"scenario": "stf", "set": {"strategies[3].power": -1}}),
    );
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("--set strategies[3].power=-1: "),
        "{answer}"
    );
    assert_eq!(
        answer["problems"][0]["key"], "strategies[3].power",
        "{answer}"
    );
    // A setting of a field that does not exist.
    let (status, answer) = run_status(
        &server,
        &json!({"scenario": "stf", "set": {"fund.budgett_eur": 5e6}}),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["problems"][0]["key"], "fund.budgett_eur", "{answer}");
    // A setting that is not a number, and a body field that does not exist.
    let (status, answer) = run_status(&server, &json!({"set": {"fund.budget_eur": "lots"}}));
    assert_eq!(status, 400);
    assert_eq!(answer["problems"][0]["key"], "fund.budget_eur", "{answer}");
    let (status, answer) = run_status(&server, &json!({"replication": 5}));
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("replication"),
        "{answer}"
    );
    let (status, answer) = run_status(&server, &json!({"replications": 0}));
    assert_eq!(status, 400);
    assert_eq!(answer["problems"][0]["key"], "run.replications", "{answer}");
    let response = server.post("/api/run", "{not json");
    assert_eq!(response.status, 400);
    assert!(response.json()["error"].is_string());
}

#[test]
fn files_named_by_a_clients_toml_are_never_read() {
    let server = Server::start(&["--threads", "1"]);
    // The scenario names a portfolio file on the server's disk and sends no CSV.
    let secret = server.dir.path().join("secret.csv");
    std::fs::write(&secret, fixture("portfolio.csv")).unwrap();
    let text =
        fixture("csv-portfolio.toml").replace("portfolio.csv", &secret.display().to_string());
    let (status, answer) = run_status(&server, &json!({"scenario": text}));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["problems"][0]["key"], "portfolio.csv", "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("portfolio_csv"),
        "{answer}"
    );
    // Joint draws named by a path that would lead out of the server's private folder.
    let stf = server.get("/api/scenarios/stf").json();
    let text = stf["toml"]
        .as_str()
        .unwrap()
        .replace("posterior-baseline.csv", "../../etc/passwd");
    let (status, answer) = run_status(&server, &json!({"scenario": text, "replications": 16}));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["problems"][0]["key"], "uncertainty.joint",
        "{answer}"
    );
    // A plain name that is neither sent nor compiled in.
    let text = stf["toml"]
        .as_str()
        .unwrap()
        .replace("posterior-baseline.csv", "secret.csv");
    let (status, answer) = run_status(&server, &json!({"scenario": text, "replications": 16}));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["problems"][0]["key"], "uncertainty.joint",
        "{answer}"
    );
}

#[test]
fn limits_unknown_scenarios_and_paths() {
    let server = Server::start(&["--threads", "1"]);
    let (status, answer) = run_status(&server, &json!({"replications": 1_000_000_000_000_u64}));
    assert_eq!(status, 413);
    assert!(
        answer["error"].as_str().unwrap().contains("too large"),
        "{answer}"
    );
    let big = format!(r#"{{"scenario": "{}"}}"#, "x".repeat(3 * 1024 * 1024));
    let response = server.post("/api/run", &big);
    assert_eq!(response.status, 413);
    assert!(
        response.json()["error"]
            .as_str()
            .unwrap()
            .contains("larger")
    );
    assert_eq!(response.header("content-security-policy"), Some(CSP));
    let (status, answer) = run_status(&server, &json!({"scenario": "nonesuch"}));
    assert_eq!(status, 404);
    assert!(
        answer["error"].as_str().unwrap().contains("stf"),
        "{answer}"
    );
    assert_eq!(server.get("/api/scenarios/nonesuch").status, 404);
    let missing = server.get("/api/nothing");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-security-policy"), Some(CSP));
}

#[test]
fn requests_addressed_to_another_host_are_refused() {
    let server = Server::start(&["--threads", "1"]);
    let port = server.address.rsplit(':').next().unwrap();
    let addressed_to = |host: &str, method: &str, path: &str, body: &str| {
        request(
            &server.address,
            method,
            path,
            &[("Host", host), ("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(addressed_to(&host, "GET", "/", "").status, 200, "{host}");
    }
    // A page of another site whose name now resolves to 127.0.0.1 (DNS rebinding).
    let rebound = format!("evil.example:{port}");
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/api/scenarios"),
        ("POST", "/api/run"),
    ] {
        let refused = addressed_to(&rebound, method, path, r#"{"replications": 100}"#);
        assert_eq!(refused.status, 400, "{method} {path}");
        assert_eq!(refused.header("content-security-policy"), Some(CSP));
        let message = refused.json()["error"].as_str().unwrap().to_string();
        assert!(
            message.contains("`Host: evil.example:") && message.contains("--bind"),
            "{message}"
        );
    }
}

#[test]
fn the_page_scenarios_and_schema_are_served() {
    let server = Server::start(&["--threads", "1"]);
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
    ] {
        let response = server.get(path);
        assert_eq!(response.status, 200, "{path}");
        assert!(
            response.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
        assert_eq!(
            response.header("content-security-policy"),
            Some(CSP),
            "{path}"
        );
    }
    let list = server.get("/api/scenarios").json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"stf") && names.contains(&"dpi"),
        "{names:?}"
    );
    assert!(list[0]["summary"].as_str().unwrap().len() > 5);
    let stf = server.get("/api/scenarios/stf").json();
    assert!(stf["toml"].as_str().unwrap().contains("[fund]"));
    assert!(stf["portfolio_csv"].is_null());
    let dpi = server.get("/api/scenarios/dpi").json();
    assert!(dpi["portfolio_csv"].as_str().unwrap().contains(','));
    let schema = server.get("/api/schema").json();
    let budget = &schema["fund"][0];
    assert_eq!(budget["key"], "fund.budget_eur");
    assert_eq!(budget["default"], 24_600_000.0);
    assert_eq!(budget["unit"], "EUR");
    assert!(budget["description"].as_str().unwrap().contains("budget"));
    assert_eq!(
        schema["timings"],
        json!(["front_loaded", "even", "endowment"])
    );
    let rules = schema["rules"].as_array().unwrap();
    let equal = rules
        .iter()
        .find(|r| r["name"] == "equal")
        .expect("the equal rule");
    assert!(equal["summary"].as_str().unwrap().len() > 5);
    let proportional = rules.iter().find(|r| r["name"] == "proportional").unwrap();
    assert!(
        proportional["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["key"] == "power")
    );
    assert!(
        schema["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "survival_at_horizon")
    );
    assert!(schema["limits"]["max_replications"].as_u64().unwrap() > 10_000);
    assert_eq!(schema["limits"]["max_body_bytes"], 2 * 1024 * 1024);
}

#[test]
fn streaming_sends_progress_then_the_result() {
    let server = Server::start(&["--threads", "1"]);
    let body = json!({"scenario": "stf", "replications": 64, "uncertainty": false});
    let response = serve_client::request(
        &server.address,
        "POST",
        "/api/run",
        &[("Accept", "application/x-ndjson")],
        body.to_string().as_bytes(),
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/x-ndjson")
    );
    let lines: Vec<Value> = response
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, progress) = lines.split_last().unwrap();
    assert!(!progress.is_empty());
    assert_eq!(progress[0]["progress"], json!({"done": 0, "total": 64}));
    let done: Vec<u64> = progress
        .iter()
        .map(|l| l["progress"]["done"].as_u64().unwrap())
        .collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    assert!(
        last["result"]["summary"].as_array().unwrap().len() > 10,
        "{last}"
    );
    assert!(last["result"]["uncertainty"].is_null());
    // An error arrives as a line too.
    let bad = serve_client::request(
        &server.address,
        "POST",
        "/api/run",
        &[("Accept", "application/x-ndjson")],
        br#"{"set": {"fund.budget_eur": -1}}"#,
    );
    assert_eq!(bad.status, 400, "checked before streaming starts");
}

#[test]
fn compare_pairs_two_configurations_on_the_same_seed() {
    let server = Server::start(&["--threads", "2"]);
    let body = json!({
        "a": {"scenario": "stf", "replications": 32, "uncertainty": false},
        "b": {"scenario": "stf", "replications": 32, "uncertainty": false, "seed": 999,
              "set": {"fund.budget_eur": 5e6}},
    });
    let response = server.post("/api/compare", &body.to_string());
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json();
    assert_eq!(
        answer["a"]["seed"], answer["b"]["seed"],
        "b runs on a's seed"
    );
    let differences = answer["differences"].as_array().unwrap();
    let row = |strategy: &str, metric: &str| {
        differences
            .iter()
            .find(|d| d["strategy"] == strategy && d["metric"] == metric)
            .unwrap_or_else(|| panic!("{strategy} {metric}"))
    };
    // The unfunded strategy is the same in both: paired on the same random numbers, its
    // difference is exactly zero.
    let none = row("none", "survival_at_horizon");
    assert_eq!(none["mean"], 0.0);
    assert_eq!(none["ci_low"], 0.0);
    assert_eq!(none["ci_high"], 0.0);
    // Less money pays less.
    let paid = row("equal-even", "total_paid_eur");
    assert!(paid["ci_high"].as_f64().unwrap() < 0.0, "{paid}");
    // The mean difference is the difference of the means (same replications).
    let mean_of = |side: &str| {
        answer[side]["summary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["strategy"] == "equal-even" && r["metric"] == "total_paid_eur")
            .unwrap()["mean"]
            .as_f64()
            .unwrap()
    };
    let expected = mean_of("b") - mean_of("a");
    let got = paid["mean"].as_f64().unwrap();
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs(),
        "{got} vs {expected}"
    );
    let bad = server.post(
        "/api/compare",
        &json!({"a": {}, "b": {"set": {"fund.budget_eur": -1}}}).to_string(),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["problems"][0]["key"], "b.fund.budget_eur");
}

#[test]
fn downloads_are_the_run_folder_and_the_brief() {
    let server = Server::start(&["--threads", "2"]);
    let body = json!({"scenario": "stf", "replications": 32, "uncertainty": false});
    let response = server.post("/api/download/zip", &body.to_string());
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/zip"));
    assert!(
        response
            .header("content-disposition")
            .unwrap()
            .contains(".zip")
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(response.body.clone())).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    for name in [
        "manifest.json",
        "summary.csv",
        "survival.csv",
        "report.html",
        "charts/survival.svg",
        "charts/survival.png",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let mut manifest = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("manifest.json").unwrap(),
        &mut manifest,
    )
    .unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["replications"], 32);
    let brief = server.post("/api/download/brief", &body.to_string());
    assert_eq!(brief.status, 200);
    assert!(
        brief
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(brief.text().contains("<html"));
    // The private folders the downloads were written in are gone.
    let leftovers: Vec<_> = std::fs::read_dir(server.tmp.path()).unwrap().collect();
    assert!(
        leftovers.is_empty(),
        "temporary run folders left behind: {leftovers:?}"
    );
    assert_eq!(std::fs::read_dir(server.dir.path()).unwrap().count(), 0);
}

/// Starts a run far too long to finish during the test and waits until it runs.
fn start_long_run(server: &Server, stream: bool) -> std::net::TcpStream {
    let body = json!({"scenario": "stf", "replications": 200_000, "uncertainty": false});
    let accept = if stream {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    let connection = send(
        &server.address,
        "POST",
        "/api/run",
        &[("Accept", accept), ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    let status = server.wait_for_status(Duration::from_secs(60), |(running, _)| running == 1);
    assert_eq!(status, (1, 0), "the long run started");
    connection
}

#[test]
fn a_client_that_disconnects_frees_its_slot() {
    let server = Server::start(&["--threads", "1"]);
    for stream in [true, false] {
        let connection = start_long_run(&server, stream);
        if stream {
            // Read the first progress line: the run is streaming.
            let mut line = String::new();
            let mut reader = BufReader::new(connection.try_clone().unwrap());
            while !line.contains("progress") {
                line.clear();
                reader.read_line(&mut line).unwrap();
            }
        }
        connection.shutdown(Shutdown::Both).unwrap();
        drop(connection);
        let status = server.wait_for_status(Duration::from_secs(60), |(running, _)| running == 0);
        assert_eq!(
            status,
            (0, 0),
            "the disconnected run stopped (stream: {stream})"
        );
    }
    // Both slots can be taken again, and a third long run waits in the queue.
    let first = start_long_run(&server, false);
    let body =
        json!({"scenario": "stf", "replications": 200_000, "uncertainty": false}).to_string();
    let second = send(&server.address, "POST", "/api/run", &[], body.as_bytes());
    let third = send(&server.address, "POST", "/api/run", &[], body.as_bytes());
    let status = server.wait_for_status(Duration::from_secs(60), |s| s == (2, 1));
    assert_eq!(status, (2, 1));
    for connection in [first, second, third] {
        connection.shutdown(Shutdown::Both).unwrap();
    }
    let status = server.wait_for_status(Duration::from_secs(60), |s| s == (0, 0));
    assert_eq!(
        status,
        (0, 0),
        "every disconnected run stopped or left the queue"
    );
}
