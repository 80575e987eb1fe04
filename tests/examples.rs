//! Every example runs, so none of them rots.

#[allow(dead_code)]
#[path = "../examples/quickstart/main.rs"]
mod quickstart;

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/rfm.rs"]
mod rfm;

#[test]
fn quickstart_runs() {
    let mut out = Vec::new();
    quickstart::run(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("Simulated 10000 people") && text.contains("leaking bucket"), "{text}");
}

/// An example's binary, built next to this test binary by `cargo test`
/// (which builds the examples; `cargo test --test lib` alone does not:
/// then run `cargo build --examples` first).
fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(std::path::Path::parent).unwrap();
    let path = dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: build the examples (`cargo build --examples`)", path.display());
    path
}

/// Runs an example with its standard output already closed, as under
/// `| head -c1` once `head` has gone: it must stop with exit status 1 and at
/// most one `error:` line, not panic (exit 101).
fn run_with_closed_stdout(name: &str, args: &[&str]) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(example_binary(name))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() <= 1 && lines.iter().all(|l| l.starts_with("error: ")), "{name}: {stderr}");
}

#[test]
fn quickstart_stops_on_a_closed_output() {
    run_with_closed_stdout("quickstart", &[]);
}

#[test]
fn scale_stops_on_a_closed_output() {
    run_with_closed_stdout("scale", &["--customers", "10"]);
}

#[test]
fn experiment_stops_on_a_closed_output() {
    run_with_closed_stdout("experiment", &["--ab", "1000,100,1000,130"]);
    run_with_closed_stdout("experiment", &["--sample-size", "0.10,0.05,0.05,0.80"]);
}

/// A sample size beyond counting was printed as 18446744073709551615 with
/// exit status 0; it is refused as bad input, with the example's status 2.
#[test]
fn experiment_refuses_a_sample_size_too_large() {
    let output = std::process::Command::new(example_binary("experiment"))
        .args(["--sample-size", "0.1,1e-10,0.05,0.8"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.starts_with("error: baseline 0.1, lift 0.0000000001") && stderr.lines().count() == 1, "{stderr}");
}

#[cfg(feature = "csv")]
#[test]
fn csv_examples_stop_on_a_closed_output() {
    run_with_closed_stdout("segments", &[]);
    let transactions = temp_file("closed.csv", "customer_id,date,amount\na,2024-01-01,1\n");
    run_with_closed_stdout("rfm", &["--transactions", &transactions, "--as-of", "2024-02-01"]);
    let edges = temp_file("closed-edges.csv", "follower_id,followed_id\na,b\n");
    run_with_closed_stdout("influence", &["--edges", &edges]);
}

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/segments.rs"]
mod segments;

#[cfg(feature = "csv")]
fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("customer-lifecycle-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[cfg(feature = "csv")]
fn run_rfm(input: &str, as_of: &str) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("rfm-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.csv", input.len()));
    std::fs::write(&path, input).unwrap();
    let args = ["--transactions".to_owned(), path.display().to_string(), "--as-of".to_owned(), as_of.to_owned()];
    let mut out = Vec::new();
    let result = rfm::run(&args, &mut out);
    std::fs::remove_file(&path).unwrap();
    result.map(|()| String::from_utf8(out).unwrap())
}

/// Worked by hand, as of 2024-03-31, six customers (n = 6: rank x scores
/// max(1, x − 1)).
///
/// | key | last day | recency | freq | cents | rank R/F/M | r f m |
/// |---|---|---|---|---|---|---|
/// | b | 03-05 | 26 | 2 | 1000 | 4 5 4 | 3 4 3 |
/// | a | 03-10 | 21 | 2 | 1100 | 2 6 5 | 5 5 4 |
/// | c | 02-01 | 59 | 1 | 2000 | 5 1 6 | 2 1 5 |
/// | d | 03-31 | 0 | 1 | 225 | 1 2 2 | 5 1 1 |
/// | e | 03-10 | 21 | 1 | 550 | 3 3 3 | 4 2 2 |
/// | x,y | 01-15 | 76 | 1 | 100 | 6 4 1 | 1 3 1 |
///
/// Ties: a and e share recency 21 (a first in the file, so ranked first);
/// c, d, e and x,y share frequency 1; b and a share frequency 2. Rows after
/// the as-of day place d (its first row) and are otherwise ignored; f has
/// only such rows and is left out.
#[cfg(feature = "csv")]
#[test]
fn rfm_example_matches_the_hand_computed_table() {
    let input = "customer_id,date,amount\n\
                 b,2024-03-01,10.00\n\
                 a,2024-03-10,5.5\n\
                 c,2024-02-01,20\n\
                 b,2024-03-05,0\n\
                 d,2024-04-02,99.99\n\
                 e,2024-03-10,5.50\n\
                 a,2024-03-10,5.5\n\
                 \"x,y\",2024-01-15,1.00\n\
                 d,2024-03-31,2.25\n\
                 f,2024-04-01,3\n";
    let expected = "customer_id,recency_days,frequency,monetary,r,f,m,segment\n\
                    b,26,2,10.00,3,4,3,Need Attention\n\
                    a,21,2,11.00,5,5,4,Champions\n\
                    c,59,1,20.00,2,1,5,Can't Lose Them\n\
                    d,0,1,2.25,5,1,1,New Customers\n\
                    e,21,1,5.50,4,2,2,New Customers\n\
                    \"x,y\",76,1,1.00,1,3,1,Lost\n";
    assert_eq!(run_rfm(input, "2024-03-31").unwrap(), expected);
}

#[cfg(feature = "csv")]
#[test]
fn segments_example_follows_its_contract() {
    let features = temp_file(
        "features.csv",
        "customer_id,spend,region,visits\n007,120.5,north,3\nb-2,,south,0\n\" c \",80,North,\nd,300,north,x\n",
    );
    let definitions = temp_file(
        "definitions.json",
        r#"[{"name": "big north", "where": {"all": [{"field": "region", "eq": "north"}, {"field": "spend", "ge": 100}]}},
            {"name": "no visits", "where": {"not": {"field": "visits", "gt": 0}}},
            {"name": "named", "where": {"field": "region", "in": ["North", "south"]}},
            {"name": "spend band", "where": {"field": "spend", "between": [80, 120.5]}}]"#,
    );
    let args = |d: &str| vec!["--features".to_owned(), features.clone(), "--definitions".to_owned(), d.to_owned()];
    let out = segments::run(args(&definitions)).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({
            "big north": ["007", "d"],
            "no visits": ["b-2", " c ", "d"],
            "named": ["b-2", " c "],
            "spend band": ["007", " c "],
        })
    );
    // Segments print in definition order.
    assert!(out.find("big north").unwrap() < out.find("spend band").unwrap());

    let bad = temp_file(
        "bad.json",
        r#"[{"name": "a", "where": {"field": "spend", "gt": 1}}, {"name": "b", "where": {"all": [{"field": "nope", "gt": 1}]}}]"#,
    );
    let err = segments::run(args(&bad)).unwrap_err();
    assert!(err.contains("[1].where.all[0].field") && !err.contains('\n'), "{err}");
    let ragged = temp_file("ragged.csv", "customer_id,x\na,1\nb\n");
    let err = segments::run(vec!["--features".into(), ragged, "--definitions".into(), definitions]).unwrap_err();
    assert!(err.contains("line 3"), "{err}");
}

#[cfg(feature = "csv")]
#[test]
fn rfm_example_names_the_bad_line() {
    let err = run_rfm(
        "customer_id,date,amount\na,2024-01-01,1\n\"multi\nline\",2024-01-02,2\nb,2024-01-03,1.234\n",
        "2024-02-01",
    )
    .unwrap_err();
    assert!(err.starts_with("line 5, column \"amount\""), "{err}");
    let err = run_rfm("customer_id,date,amount\na,2024-13-01,1\n", "2024-02-01").unwrap_err();
    assert!(err.starts_with("line 2, column \"date\""), "{err}");
    assert!(run_rfm("customer_id,date,amount\n", "2024-2-1").unwrap_err().contains("--as-of"));
}

// The cookbook's recipes (src/cookbook.rs includes their source) run on the
// bundled data in examples/data/ and print what the cookbook says they print.

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/clv_table.rs"]
mod clv_table;

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/at_risk.rs"]
mod at_risk;

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/segment_campaign.rs"]
mod segment_campaign;

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/top_influencers.rs"]
mod top_influencers;

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/forget_customer.rs"]
mod forget_customer;

/// A file of the bundled data.
#[cfg(feature = "csv")]
fn bundled(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data").join(name)
}

/// What a recipe printed.
#[cfg(feature = "csv")]
fn printed(run: impl FnOnce(&mut Vec<u8>) -> Result<(), Box<dyn std::error::Error>>) -> String {
    let mut out = Vec::new();
    run(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Each line is both in the program's output and shown in the cookbook.
#[cfg(feature = "csv")]
fn cookbook_shows(output: &str, lines: &[&str]) {
    let cookbook = include_str!("../src/cookbook.rs");
    for line in lines {
        assert!(output.lines().any(|l| l == *line), "the recipe no longer prints {line:?}:\n{output}");
        assert!(cookbook.contains(&format!("//! {line}\n")), "the cookbook does not show {line:?}");
    }
}

#[cfg(feature = "csv")]
#[test]
fn cookbook_clv_table() {
    let input = bundled("transactions.csv");
    let out = printed(|o| clv_table::run(&input, o));
    cookbook_shows(
        &out,
        &[
            "customer_id,repeat_purchases,p_alive,expected_purchases,clv",
            "c197,28,0.868,26.16,1669.55",
            "c040,24,0.964,18.45,1395.52",
        ],
    );
    // One row per customer of the log, most valuable first.
    let log = std::fs::read_to_string(&input).unwrap();
    let customers: std::collections::BTreeSet<&str> =
        log.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    let rows: Vec<Vec<f64>> =
        out.lines().skip(1).map(|l| l.split(',').skip(1).map(|c| c.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), customers.len());
    assert!(rows.iter().all(|r| (0.0..=1.0).contains(&r[1]) && r[2] >= 0.0 && r[3] >= 0.0));
    assert!(rows.windows(2).all(|w| w[0][3] >= w[1][3]), "sorted by clv");
}

#[cfg(feature = "csv")]
#[test]
fn cookbook_at_risk() {
    let out = printed(|o| at_risk::run(&bundled("shop.csv"), o));
    cookbook_shows(
        &out,
        &[
            "69 of 200 customers are at risk of churn",
            "customer,stage,recency_days,purchases,monetary,open_complaints",
            "c088,repeat,44,18,960.47,1",
            "c175,dormant,175,14,794.89,0",
        ],
    );
    let rows: Vec<Vec<&str>> = out.lines().skip(2).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 69);
    for row in &rows {
        let (recency, purchases, open): (f64, f64, f64) =
            (row[2].parse().unwrap(), row[3].parse().unwrap(), row[5].parse().unwrap());
        assert_ne!(row[1], "churned", "{row:?}");
        assert!(open > 0.0 || (purchases > 1.0 && recency >= 60.0), "not at risk: {row:?}");
    }
}

#[cfg(feature = "csv")]
#[test]
fn cookbook_segment_campaign() {
    let out = printed(|o| segment_campaign::run(&bundled("shop.csv"), o));
    cookbook_shows(
        &out,
        &[
            "Win-back: 82 customers, sample ratio p = 0.269",
            "control: 36 customers, 3 bought, revenue 146.38",
            "offer: 46 customers, 5 bought, revenue 221.64",
            "conversion: +0.025 (p = 0.701)",
        ],
    );
    // The export: one line per member, each in one of the two arms, in the
    // proportions the outcomes count.
    let (export, _) = out.split_once("\n\n").unwrap();
    let arms: Vec<&str> = export.lines().skip(1).map(|l| l.split_once(',').unwrap().1).collect();
    assert_eq!(arms.len(), 82);
    assert_eq!(arms.iter().filter(|&&a| a == "control").count(), 36);
    assert_eq!(arms.iter().filter(|&&a| a == "offer").count(), 46);
    // Stable assignment: the same list on every run.
    assert_eq!(out, printed(|o| segment_campaign::run(&bundled("shop.csv"), o)));
}

#[cfg(feature = "csv")]
#[test]
fn cookbook_top_influencers() {
    let out = printed(|o| top_influencers::run(&bundled("follows.csv"), o));
    let lines = [
        "account,pagerank,reach_2",
        "c003,0.1348,111",
        "c001,0.1052,54",
        "c005,0.0732,55",
        "c004,0.0631,79",
        "c002,0.0616,50",
    ];
    cookbook_shows(&out, &lines);
    // The script makes c001..c005 the accounts most others follow.
    assert_eq!(out.lines().count(), lines.len());
}

#[cfg(feature = "csv")]
#[test]
fn cookbook_forget_customer() {
    let out = printed(|o| forget_customer::run(&bundled("shop.csv"), "c003", o));
    cookbook_shows(
        &out,
        &[
            "erased c003: 3 events of their own, 43 events of others naming them",
            "customers: 200 before, 199 after",
            "still known: false",
        ],
    );
    // A key the log never named is refused.
    let mut sink = Vec::new();
    assert!(forget_customer::run(&bundled("shop.csv"), "nobody", &mut sink).is_err());
    assert!(sink.is_empty());
}

/// The README is doc-tested as it stands (src/lib.rs includes it), so it
/// hides no line: a `# ` line would show as is on GitHub.
#[test]
fn readme_hides_no_line() {
    let readme = include_str!("../README.md");
    let mut in_rust = false;
    for (n, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_rust = line == "```rust";
        } else if in_rust {
            assert!(!(line == "#" || line.starts_with("# ")), "README.md line {}: hidden line {line:?}", n + 1);
        }
    }
}

/// Runs the `lifecycle` example binary: (exit status, stdout, stderr).
#[cfg(all(feature = "store", feature = "csv"))]
fn lifecycle(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(example_binary("lifecycle")).args(args).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr))
}

#[cfg(all(feature = "store", feature = "csv"))]
fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cl-lifecycle-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[cfg(all(feature = "store", feature = "csv"))]
#[test]
fn lifecycle_example_follows_its_contract() {
    let dir = fresh_dir("contract");
    let store = dir.join("store");
    let store = store.to_str().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/events.jsonl");
    let sample_csv = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/events.csv");
    let as_of = "2024-06-30T00:00:00+02:00";

    // An empty store prints the header only.
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(lifecycle(&["ingest", "--store", store, empty.to_str().unwrap()]), (0, String::new(), String::new()));
    assert_eq!(lifecycle(&["stages", "--store", store, "--as-of", as_of]).1, "customer,stage,since\n");

    assert_eq!(lifecycle(&["ingest", "--store", store, sample]), (0, String::new(), String::new()));
    let (code, stages, _) = lifecycle(&["stages", "--store", store, "--as-of", as_of]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = stages.lines().collect();
    assert_eq!(rows[0], "customer,stage,since");
    assert!(rows.contains(&"ana,repeat,2024-02-01T09:30:00Z"), "{stages}");
    let keys: Vec<&str> = rows[1..].iter().map(|r| r.split(',').next().unwrap()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    // Only customers created by then: none before the first event.
    assert_eq!(lifecycle(&["stages", "--store", store, "--as-of", "2020-01-01T00:00:00Z"]).1, "customer,stage,since\n");

    // Re-ingesting (in either format) changes nothing.
    assert_eq!(lifecycle(&["ingest", "--store", store, sample, sample_csv]).0, 0);
    assert_eq!(lifecycle(&["stages", "--store", store, "--as-of", as_of]).1, stages);

    let (code, history, _) = lifecycle(&["history", "--store", store, "--customer", "ana"]);
    assert_eq!(code, 0);
    assert!(history.starts_with("at,from,to,reason\n2024-01-03T12:30:00Z,prospect,new,first_purchase\n"), "{history}");

    // Usage errors exit 2; bad input exits 1; nothing on stdout then.
    for args in [
        vec!["stages", "--store", store, "--as-of", "2024-06-30"],
        vec!["stages", "--store", store],
        vec!["frobnicate"],
        vec![],
        vec!["ingest", "--store", store],
        vec!["forget", "--store", store],
    ] {
        let (code, out, err) = lifecycle(&args);
        assert_eq!((code, out.as_str()), (2, ""), "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.lines().count() == 1, "{err}");
    }
    for args in [
        vec!["history", "--store", store, "--customer", "nobody"],
        vec!["forget", "--store", store, "--customer", "ana", "nobody"],
        vec!["stages", "--store", dir.join("nothing").to_str().unwrap(), "--as-of", as_of],
    ] {
        let (code, out, err) = lifecycle(&args);
        assert_eq!((code, out.as_str()), (1, ""), "{args:?}: {err}");
        assert!(err.contains("nobody") || err.contains("no store"), "{err}");
    }
    assert_eq!(
        lifecycle(&["stages", "--store", store, "--as-of", as_of]).1,
        stages,
        "a refused forget forgets nothing"
    );

    assert_eq!(lifecycle(&["forget", "--store", store, "--customer", "ana", "bo"]), (0, String::new(), String::new()));
    let after = lifecycle(&["stages", "--store", store, "--as-of", as_of]).1;
    assert!(!after.contains("\nana,") && !after.contains("\nbo,") && after.contains("\ncy,"), "{after}");
    run_with_closed_stdout("lifecycle", &["stages", "--store", store, "--as-of", as_of]);

    // A damaged record is a clear error, exit 1, not a panic.
    let file = std::path::Path::new(store).join("customers.redb");
    let mut bytes = std::fs::read(&file).unwrap();
    let needle = br#""key":"cy""#;
    let at = bytes.windows(needle.len()).position(|w| w == needle.as_slice()).expect("cy's record") + 7;
    bytes[at] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let (code, out, err) = lifecycle(&["stages", "--store", store, "--as-of", as_of]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty() || out == "customer,stage,since\n" || !out.contains("cy,"), "{out}");
    assert!(err.starts_with("error: the store is corrupt") && err.lines().count() == 1, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A keyed event log of about 10,000 events among 1,500 customers, with
/// referrals, refunds and late lines, written to `path`.
#[cfg(all(feature = "store", feature = "csv"))]
fn write_day_log(path: &std::path::Path) {
    use chrono::{TimeDelta, TimeZone, Utc};
    use customer_lifecycle::eventlog::{KeyedEvent, KeyedKind, write_jsonl};
    use customer_lifecycle::{Channel, Money};
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut events = Vec::new();
    for i in 0..10_000u32 {
        let who = (i * 7919) % 1500;
        // Every tenth line is a day late: the store revises.
        let minutes = i64::from(i) * 45 - if i % 10 == 0 { 1440 } else { 0 };
        let kind = match i % 9 {
            0 => KeyedKind::Referral { invitee: format!("cust-{}", (who + 1) % 1500) },
            1 if i > 9 => KeyedKind::Refund { amount: Money::from_minor(100), purchase: format!("ev-{}", i - 8) },
            _ => KeyedKind::Purchase { amount: Money::from_minor(1000 + i64::from(i % 500)) },
        };
        let customer = match &kind {
            KeyedKind::Refund { .. } => (((i - 8) * 7919) % 1500).to_string(),
            _ => who.to_string(),
        };
        events.push(KeyedEvent {
            id: format!("ev-{i}"),
            customer: format!("cust-{customer}"),
            at: t0 + TimeDelta::minutes(minutes + if matches!(kind, KeyedKind::Refund { .. }) { 1440 } else { 0 }),
            channel: Channel::Web,
            kind,
        });
    }
    let mut out = Vec::new();
    write_jsonl(&mut out, &events).unwrap();
    std::fs::write(path, out).unwrap();
}

/// `lifecycle ingest` killed at any instant (SIGKILL at a seeded moment, or,
/// with the `fault-injection` feature, an abort at a named point inside the
/// commit), then run again, ends exactly as an uninterrupted run.
#[cfg(all(feature = "store", feature = "csv"))]
#[test]
fn lifecycle_ingest_killed_at_any_instant_completes_on_a_rerun() {
    let dir = fresh_dir("kill");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("day.jsonl");
    write_day_log(&log);
    let log = log.to_str().unwrap();
    let as_of = "2025-01-01T00:00:00Z";
    let reference_store = dir.join("reference");
    let started = std::time::Instant::now();
    assert_eq!(lifecycle(&["ingest", "--store", reference_store.to_str().unwrap(), log]).0, 0);
    let full_run = started.elapsed();
    let (_, expected, _) = lifecycle(&["stages", "--store", reference_store.to_str().unwrap(), "--as-of", as_of]);
    assert!(expected.lines().count() > 1000);

    let mut state = 0x5eed_u64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut killed, mut faulted) = (0, 0);
    for trial in 0..50 {
        let store = dir.join(format!("trial-{trial}"));
        let store = store.to_str().unwrap();
        let mut command = std::process::Command::new(example_binary("lifecycle"));
        command
            .args(["ingest", "--store", store, log])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if cfg!(feature = "fault-injection") && trial % 2 == 0 {
            let point = match next(3) {
                0 => "before_commit".to_owned(),
                1 => "after_commit".to_owned(),
                _ => format!("after_write:{}", 1 + next(1500)),
            };
            let status = command.env("CUSTOMER_LIFECYCLE_FAULT", &point).status().unwrap();
            assert!(!status.success(), "{point}: the fault point was not reached");
            faulted += 1;
        } else {
            let mut child = command.spawn().unwrap();
            let wait = full_run.mul_f64(next(1000) as f64 / 1000.0);
            std::thread::sleep(wait);
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                killed += 1;
            }
            child.wait().unwrap();
        }
        let (code, _, err) = lifecycle(&["ingest", "--store", store, log]);
        assert_eq!(code, 0, "trial {trial}: the re-run failed: {err}");
        let (_, got, _) = lifecycle(&["stages", "--store", store, "--as-of", as_of]);
        assert!(got == expected, "trial {trial}: the re-run differs from an uninterrupted run");
        let _ = std::fs::remove_dir_all(store);
    }
    assert!(killed + faulted >= 20, "only {killed} kills and {faulted} faults landed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/daily_ingest.rs"]
mod daily_ingest;

#[cfg(feature = "csv")]
#[test]
fn cookbook_daily_ingest() {
    let dir = std::env::temp_dir().join(format!("customer-lifecycle-daily-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("store.snapshot");
    let _ = std::fs::remove_file(&store);
    let day = |file: &str, day: &str| printed(|o| daily_ingest::run(&store, &bundled(file), day.parse()?, o));
    let mut out = day("shop.csv", "2025-06-30");
    out += &day("2025-07-01.csv", "2025-07-01");
    cookbook_shows(
        &out,
        &[
            "2025-06-30: 1223 events applied, 0 already stored; customers: 200 new, 200 in the store",
            "2025-07-01: 4 events applied, 1 already stored; customers: 1 new, 201 in the store",
        ],
    );
    // A day run twice changes nothing: every event is already stored, and
    // the store is the same, byte for byte.
    let kept = std::fs::read(&store).unwrap();
    let again = day("2025-07-01.csv", "2025-07-01");
    assert_eq!(again, "2025-07-01: 0 events applied, 5 already stored; customers: 0 new, 201 in the store\n");
    assert_eq!(std::fs::read(&store).unwrap(), kept);
    std::fs::remove_dir_all(&dir).unwrap();
}
