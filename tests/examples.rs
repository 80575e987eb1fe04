//! Every example runs, so none of them rots.

#[allow(dead_code)]
#[path = "../examples/quickstart/main.rs"]
mod quickstart;

#[test]
fn quickstart_runs() {
    quickstart::main().unwrap();
}
