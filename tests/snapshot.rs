//! Streamed snapshots: round trips, and damage (bit flips, truncation)
//! is a typed error, never a different base.

use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle::{CustomerBase, Policy, Stage, base::Snapshot, error::SnapshotError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A simulated base with attributes, an explicit move and an advance.
fn simulated(customers: usize, seed: u64) -> CustomerBase {
    let sim = Simulator::new(SimOptions { customers, days: 120, ..SimOptions::default() }, seed).unwrap();
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).unwrap();
    let first = base.customers().next().unwrap().id();
    base.set_attribute(first, "tier", 2).unwrap();
    base.transition(first, Stage::Loyal, sim.end(), "imported").unwrap();
    base.advance_to(sim.end());
    base
}

fn written(base: &CustomerBase) -> Vec<u8> {
    let mut out = Vec::new();
    base.write_snapshot(&mut out).unwrap();
    out
}

#[test]
fn a_streamed_snapshot_round_trips_and_has_the_documented_layout() {
    let base = simulated(200, 11);
    let bytes = written(&base);
    assert_eq!(CustomerBase::read_snapshot(bytes.as_slice()).unwrap(), base);

    let text = std::str::from_utf8(&bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("{\"format_version\":2,\"policy\":"), "{}", lines[0]);
    assert_eq!(Snapshot::STREAM_FORMAT_VERSION, 2);
    let entries = lines.len() - 2;
    assert_eq!(entries, base.snapshot().journal.len());
    let trailer = lines[lines.len() - 1];
    let body_len = text.len() - trailer.len() - 1;
    let checksum = xxhash_rust::xxh3::xxh3_64(&bytes[..body_len]);
    assert_eq!(trailer, format!("{{\"trailer\":{{\"entries\":{entries},\"xxh3\":\"{checksum:016x}\"}}}}"));
    // Entry lines are the journal's entries, in order.
    for (line, entry) in lines[1..=entries].iter().zip(base.snapshot().journal) {
        assert_eq!(*line, serde_json::to_string(&entry).unwrap());
    }
}

#[test]
fn a_version_1_document_is_still_read_and_an_unknown_version_refused() {
    let base = simulated(30, 5);
    let json = base.to_json();
    assert_eq!(CustomerBase::read_snapshot(json.as_bytes()).unwrap(), base);
    assert_eq!(CustomerBase::read_snapshot(format!("{json}\n").as_bytes()).unwrap(), base);
    assert!(matches!(
        CustomerBase::read_snapshot(format!("{json}\n{{}}\n").as_bytes()),
        Err(SnapshotError::BadLine { line: 2, .. })
    ));
    let bytes = String::from_utf8(written(&base)).unwrap();
    let future = bytes.replacen("\"format_version\":2", "\"format_version\":3", 1);
    assert_eq!(
        CustomerBase::read_snapshot(future.as_bytes()).unwrap_err(),
        SnapshotError::UnsupportedVersion { found: 3, supported: 2 }
    );
    assert_eq!(CustomerBase::read_snapshot(&b""[..]).unwrap_err(), SnapshotError::Truncated { lines: 0 });
}

/// Reads `bytes`; `Ok(true)` for the same base, `Ok(false)` for a different one.
fn outcome(bytes: &[u8], base: &CustomerBase) -> Result<bool, SnapshotError> {
    CustomerBase::read_snapshot(bytes).map(|read| read == *base)
}

#[test]
fn every_single_bit_flip_of_a_small_snapshot_is_an_error() {
    let base = simulated(3, 3);
    let bytes = written(&base);
    assert!(bytes.len() > 1000 && bytes.len() < 10_000, "a snapshot with some content: {} bytes", bytes.len());
    let (mut errors, mut corrupted) = (0, 0);
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        match outcome(&flipped, &base) {
            Ok(same) => panic!("flip of bit {bit} was read without error (same base: {same})"),
            Err(e) => {
                errors += 1;
                corrupted += usize::from(matches!(e, SnapshotError::Corrupted { .. }));
            }
        }
    }
    assert_eq!(errors, bytes.len() * 8);
    // Most damage is caught by the checksum itself.
    assert!(corrupted * 10 > errors * 8, "{corrupted} of {errors} flips reported as corrupted");
}

#[test]
fn sampled_bit_flips_of_a_bigger_snapshot_never_give_a_different_base() {
    let base = simulated(100, 8);
    let bytes = written(&base);
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for _ in 0..2000 {
        let mut flipped = bytes.clone();
        let bit = rng.random_range(0..bytes.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(outcome(&flipped, &base).is_err(), "flip of bit {bit} was read without error");
    }
}

#[test]
fn truncation_at_every_line_boundary_and_inside_the_trailer_is_an_error() {
    let base = simulated(20, 4);
    let bytes = written(&base);
    let ends: Vec<usize> = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1).collect();
    for &end in &ends[..ends.len() - 1] {
        assert!(
            matches!(CustomerBase::read_snapshot(&bytes[..end]), Err(SnapshotError::Truncated { .. })),
            "truncated after byte {end}"
        );
    }
    let trailer_start = ends[ends.len() - 2];
    for end in trailer_start..bytes.len() {
        assert!(CustomerBase::read_snapshot(&bytes[..end]).is_err(), "truncated after byte {end}");
    }
    // Extra text after the trailer is refused too.
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"{}\n");
    assert!(matches!(
        CustomerBase::read_snapshot(longer.as_slice()),
        Err(SnapshotError::BadLine { line, .. }) if line == ends.len() + 1
    ));
}

#[test]
fn an_intact_but_refused_journal_names_its_entry_and_a_bad_line_its_number() {
    let base = simulated(10, 2);
    let text = String::from_utf8(written(&base)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Re-sign a file whose second customer is added twice: the checksum
    // passes, replay refuses entry 1 (line 3).
    lines[2] = lines[1].clone();
    let resigned = |lines: &[String]| {
        let n = lines.len();
        let body: String = lines[..n - 1].iter().flat_map(|l| [l.as_str(), "\n"]).collect();
        let checksum = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
        format!("{body}{{\"trailer\":{{\"entries\":{},\"xxh3\":\"{checksum:016x}\"}}}}\n", n - 2)
    };
    assert!(matches!(
        CustomerBase::read_snapshot(resigned(&lines).as_bytes()),
        Err(SnapshotError::Replay { entry: 1, .. })
    ));
    lines[2] = "{\"apply\":".to_owned();
    assert!(matches!(
        CustomerBase::read_snapshot(resigned(&lines).as_bytes()),
        Err(SnapshotError::BadLine { line: 3, .. })
    ));
    // Without the re-signing the same damage is reported as corruption.
    let n = lines.len();
    lines[n - 1] = text.lines().last().unwrap().to_owned();
    let body: String = lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect();
    assert!(matches!(CustomerBase::read_snapshot(body.as_bytes()), Err(SnapshotError::Corrupted { .. })));
}

#[test]
fn a_failing_writer_is_an_io_error() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let base = simulated(5, 1);
    assert!(matches!(base.write_snapshot(Full), Err(SnapshotError::Io { kind: std::io::ErrorKind::StorageFull, .. })));
}
