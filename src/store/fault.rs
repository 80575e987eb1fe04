//! Test-only crash points inside a commit. With the `fault-injection`
//! feature (never on by default), a process whose environment sets
//! `CUSTOMER_LIFECYCLE_FAULT` to a point's name (`before_commit`,
//! `after_commit`, `after_write:N` after the N-th customer record of a batch,
//! `forget_before_commit`, `before_compact`) aborts there, as a crash
//! would. Without the feature the points do nothing.

/// Aborts the process when the fault variable names `name`.
#[inline]
pub fn point(name: &str) {
    #[cfg(feature = "fault-injection")]
    if std::env::var("CUSTOMER_LIFECYCLE_FAULT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = name;
}

/// Aborts the process when the fault variable names `name:n`.
#[inline]
pub fn point_n(name: &str, n: usize) {
    #[cfg(feature = "fault-injection")]
    if std::env::var("CUSTOMER_LIFECYCLE_FAULT").is_ok_and(|v| v.split_once(':') == Some((name, &n.to_string()))) {
        std::process::abort();
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = (name, n);
}
