//! Every example runs, so none of them rots.

#[allow(dead_code)]
#[path = "../examples/quickstart/main.rs"]
mod quickstart;

#[test]
fn quickstart_runs() {
    quickstart::main().unwrap();
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
