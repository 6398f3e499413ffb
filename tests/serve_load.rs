//! `fundsim serve` under load on the loopback address: 50 clients at once for a bounded
//! time, each request answered correctly (200 with a result) or refused with 503, no
//! crash, the server's resident memory flat, and the test stops by itself.

mod serve_client;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use serve_client::{Server, resident_kb};

const CLIENTS: usize = 50;
/// How long the clients keep sending.
const LOAD: Duration = Duration::from_secs(15);
/// The most requests one client sends, so the test is bounded however fast the server.
const MAX_REQUESTS_PER_CLIENT: usize = 40;

/// A small run, answered in a fraction of a second when a slot is free.
fn run_body(client: usize, request: usize) -> String {
    json!({
        "scenario": "stf",
        "replications": 16,
        "uncertainty": false,
        "seed": (client * 1000 + request) as u64,
        "set": {"fund.budget_eur": 1e6 * (5 + client % 20) as f64},
    })
    .to_string()
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    busy: AtomicU64,
    served: AtomicU64,
}

/// Sends `client`'s requests until the load time is over; panics on a wrong answer.
fn client(server: &Server, client: usize, tally: &Tally, until: Instant) {
    for request in 0..MAX_REQUESTS_PER_CLIENT {
        if Instant::now() > until {
            return;
        }
        if request % 4 == 3 {
            let response = server.get("/api/scenarios");
            assert_eq!(response.status, 200);
            assert!(response.json().as_array().unwrap().len() >= 8);
            tally.served.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let response = server.post("/api/run", &run_body(client, request));
        let answer = response.json();
        match response.status {
            200 => {
                assert_eq!(answer["replications"], 16);
                assert!(answer["summary"].as_array().unwrap().len() > 10, "{answer}");
                tally.ok.fetch_add(1, Ordering::Relaxed);
            }
            503 => {
                assert!(
                    answer["error"].as_str().unwrap().contains("busy"),
                    "{answer}"
                );
                tally.busy.fetch_add(1, Ordering::Relaxed);
                // A polite client waits before it tries again.
                std::thread::sleep(Duration::from_millis(100));
            }
            status => panic!("client {client}: status {status}: {answer}"),
        }
    }
}

#[test]
fn fifty_clients_get_answers_or_503_and_memory_stays_flat() {
    let mut server = Server::start(&["--threads", "1"]);
    // Warm up (the first runs allocate the caches and pools that stay), then measure.
    for request in 0..6 {
        assert_eq!(server.post("/api/run", &run_body(999, request)).status, 200);
    }
    let before = resident_kb(server.pid());
    let tally = Arc::new(Tally::default());
    let until = Instant::now() + LOAD;
    std::thread::scope(|scope| {
        for index in 0..CLIENTS {
            let (server, tally) = (&server, Arc::clone(&tally));
            scope.spawn(move || client(server, index, &tally, until));
        }
    });
    assert!(server.is_running(), "the server survived");
    let status = server.wait_for_status(Duration::from_secs(30), |s| s == (0, 0));
    assert_eq!(status, (0, 0), "nothing left running or queued");
    let after = resident_kb(server.pid());
    let ok = tally.ok.load(Ordering::Relaxed);
    let busy = tally.busy.load(Ordering::Relaxed);
    eprintln!(
        "load: {ok} runs answered, {busy} refused with 503, {} other requests; resident memory {before:?} kB before, {after:?} kB after",
        tally.served.load(Ordering::Relaxed)
    );
    assert!(ok > 0, "some runs were answered");
    assert!(
        busy > 0,
        "50 clients against 2 slots and 8 places in the queue: some were refused"
    );
    if let (Some(before), Some(after)) = (before, after) {
        // Flat: what the load adds is at most the working memory of the runs that were
        // in flight at once (2 running and 8 queued small runs, a few MB each), not
        // something that grows with the hundreds of requests served.
        assert!(
            after < before + 64 * 1024,
            "resident memory grew from {before} kB to {after} kB"
        );
    }
    // The server still answers a run correctly.
    assert_eq!(server.post("/api/run", &run_body(0, 0)).status, 200);
}
