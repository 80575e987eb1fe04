//! Small helpers shared by several modules.

/// Percentiles as the share of the other values strictly below: the top
/// gets 1, ties share the lower value, and the lowest get 0. A lone value is
/// the top.
///
/// O(n log n).
pub(crate) fn percentiles(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let others = values.len().saturating_sub(1) as f64;
    values.iter().map(|v| if others == 0.0 { 1.0 } else { sorted.partition_point(|s| s < v) as f64 / others }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_count_the_others_strictly_below() {
        assert_eq!(percentiles(&[0.0, 0.0, 6.0, 10.0]), vec![0.0, 0.0, 2.0 / 3.0, 1.0]);
        assert_eq!(percentiles(&[3.0]), vec![1.0]);
        assert_eq!(percentiles(&[]), Vec::<f64>::new());
    }
}
