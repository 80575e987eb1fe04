//! Every module's error converts into the crate's `Error`, so `?` works
//! across modules, and causes stay reachable through `source()`.

use std::error::Error as _;

use customer_lifecycle::advocacy::AdvocacyError;
use customer_lifecycle::campaign::CampaignError;
use customer_lifecycle::clv::ClvError;
use customer_lifecycle::eventlog::EventLogError;
use customer_lifecycle::relationship::{DiffusionError, GraphError, RankError, ReferralError};
use customer_lifecycle::score::ScoreError;
use customer_lifecycle::segment::{DefinitionError, FeatureTable, Segment, TableError};
use customer_lifecycle::{
    CustomerId, Error, Money,
    error::{BaseError, MoneyError, ParseIdError, PolicyError, ScoreRangeError, SnapshotError, WindowError},
    event::NpsScore,
};

/// Compiles only if `?` lifts `E` into the crate's `Error`.
fn lifted<E>(error: E) -> customer_lifecycle::Result<()>
where
    Error: From<E>,
{
    Err(error)?;
    Ok(())
}

#[test]
fn every_module_error_lifts_with_the_question_mark() {
    // Each line names `lifted` for one error type: it compiles only if
    // that type converts into `Error`.
    {
        let _ = lifted::<DefinitionError>;
        let _ = lifted::<TableError>;
        let _ = lifted::<AdvocacyError>;
        let _ = lifted::<CampaignError>;
        let _ = lifted::<ClvError>;
        let _ = lifted::<customer_lifecycle::clv::CovariateError>;
        let _ = lifted::<EventLogError>;
        let _ = lifted::<DiffusionError>;
        let _ = lifted::<GraphError>;
        let _ = lifted::<RankError>;
        let _ = lifted::<ReferralError>;
        let _ = lifted::<ScoreError>;
        let _ = lifted::<BaseError>;
        let _ = lifted::<MoneyError>;
        let _ = lifted::<ParseIdError>;
        let _ = lifted::<PolicyError>;
        let _ = lifted::<ScoreRangeError>;
        let _ = lifted::<SnapshotError>;
        let _ = lifted::<WindowError>;
        #[cfg(feature = "csv")]
        {
            let _ = lifted::<customer_lifecycle::error::CsvError>;
        }
        #[cfg(feature = "sim")]
        let _ = lifted::<customer_lifecycle::sim::SimError>;
        #[cfg(feature = "store")]
        let _ = lifted::<customer_lifecycle::store::StoreError>;
        #[cfg(feature = "plot")]
        let _ = lifted::<customer_lifecycle::plot::PlotError>;
    }
    assert!(lifted(TableError::UnknownColumn { name: "x".into() }).is_err());
}

/// Every public error type of the library is named in the test above, so
/// a new module error cannot be left out of `Error` unnoticed.
#[test]
fn the_lift_test_names_every_error_type() {
    let this = include_str!("errors.rs");
    let mut missing = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().map(str::trim_start) {
                let Some(rest) = line.strip_prefix("pub enum ").or_else(|| line.strip_prefix("pub struct ")) else {
                    continue;
                };
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                // IoError is a cause kept inside other errors, not an error
                // of its own; CsvError is named with its feature.
                if name.ends_with("Error")
                    && name != "IoError"
                    && !this.contains(&format!("lifted::<{name}>"))
                    && !this.contains(&format!("::{name}>"))
                {
                    missing.push(format!("{name} ({})", path.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not lifted into Error: {missing:?}");
}

#[test]
fn errors_of_three_modules_meet_in_one_function() {
    fn run(definition: &str, column: Vec<Option<f64>>, amount: &str) -> customer_lifecycle::Result<usize> {
        let segment = Segment::from_json(definition)?;
        let mut table = FeatureTable::new(vec!["a".into()]);
        table.add_numbers("x", column, true)?;
        let _: Money = amount.parse()?;
        let _: CustomerId = "c1".parse().or_else(|_| Ok::<_, ParseIdError>(CustomerId::from_key("c1")))?;
        Ok(table.evaluate(&segment)?.len())
    }
    let good = r#"{"name": "x", "where": {"field": "x", "gt": 0}}"#;
    assert_eq!(run(good, vec![Some(1.0)], "1.00").unwrap(), 1);
    assert!(matches!(run("{", vec![Some(1.0)], "1.00"), Err(Error::Definition(_))));
    assert!(matches!(run(good, vec![], "1.00"), Err(Error::Table(TableError::Length { .. }))));
    assert!(matches!(run(good, vec![Some(1.0)], "x"), Err(Error::Money(_))));
    assert!(NpsScore::new(11).map_err(Error::from).is_err());
}

#[cfg(feature = "csv")]
#[test]
fn a_read_failure_keeps_the_io_error_as_its_source() {
    use customer_lifecycle::csv::{EdgeListCsv, FeatureCsv, SummaryCsv, TransactionCsv};
    use customer_lifecycle::error::CsvError;

    /// A reader that always fails.
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cable pulled"))
        }
    }
    let err = TransactionCsv::new().from_reader(Broken).unwrap_err();
    let CsvError::Io { ref source, .. } = err else { panic!("{err:?}") };
    assert_eq!(source.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(err.to_string(), "cannot read input: cable pulled");
    let cause = err.source().and_then(|s| s.source()).and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(cause.map(std::io::Error::kind), Some(std::io::ErrorKind::ConnectionReset));
    let missing = TransactionCsv::new().from_path("/no/such/file.csv").unwrap_err();
    assert!(matches!(missing, CsvError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound));
    let lifted = Error::from(missing);
    assert!(lifted.source().is_some(), "the crate error keeps the chain");

    // Every reader has the same shape and keeps the same cause.
    let io = |err: CsvError| matches!(err, CsvError::Io { file: None, ref source } if source.kind() == std::io::ErrorKind::ConnectionReset);
    assert!(io(EdgeListCsv::new().from_reader(Broken).unwrap_err()));
    assert!(io(FeatureCsv::new().from_reader(Broken).unwrap_err()));
    assert!(io(SummaryCsv::new().from_reader(Broken).unwrap_err()));
}

#[cfg(feature = "csv")]
#[test]
fn every_reader_names_file_line_and_column() {
    use std::path::Path;

    use customer_lifecycle::csv::{EdgeListCsv, FeatureCsv, SummaryCsv, TransactionCsv};
    use customer_lifecycle::error::{CsvError, FieldProblem};

    let dir = std::env::temp_dir().join(format!("customer-lifecycle-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let check = |err: CsvError, path: &Path, line: u64, column: &str, problem: FieldProblem| {
        assert_eq!(err.file(), Some(path), "{err:?}");
        assert_eq!(err.line(), Some(line), "{err:?}");
        assert_eq!(err.column(), Some(column), "{err:?}");
        assert!(matches!(err, CsvError::InvalidField { problem: ref p, .. } if *p == problem), "{err:?}");
        // The message names line and column; the caller adds the file.
        assert!(err.to_string().starts_with(&format!("line {line}, column {column:?}")), "{err}");
    };
    let path = file("t.csv", "customer_id,date,amount\na,2024-01-01,-1\n");
    check(TransactionCsv::new().from_path(&path).unwrap_err(), &path, 2, "amount", FieldProblem::NegativeAmount);
    let path = file("s.csv", "customer_id,frequency,recency,T,monetary_value\n1,2,3,4,5\n1,x,3,4,5\n");
    check(SummaryCsv::new().from_path(&path).unwrap_err(), &path, 3, "frequency", FieldProblem::NotACount);
    let path = file("f.csv", "customer_id,x\na,1e999\n");
    check(FeatureCsv::new().from_path(&path).unwrap_err(), &path, 2, "x", FieldProblem::NumberTooLarge);
    let path = file("e.csv", "source,target,weight\na,b,1\nb,c,-2\n");
    check(EdgeListCsv::new().from_path(&path).unwrap_err(), &path, 3, "weight", FieldProblem::NotNonNegative);
    // A reason a caller can act on: an amount that is not money keeps the
    // money error.
    let err =
        TransactionCsv::new().from_reader("customer_id,date,amount\na,2024-01-01,1.234\n".as_bytes()).unwrap_err();
    assert!(
        matches!(err, CsvError::InvalidField { problem: FieldProblem::NotAnAmount(_), file: None, line: 2, .. }),
        "{err:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn advocacy_keeps_the_model_error_as_its_source() {
    let cause = ClvError::NegativeAmount {
        key: "a".into(),
        date: "2024-01-01".parse().unwrap(),
        amount: Money::from_minor(-1),
    };
    let err = AdvocacyError::from(cause.clone());
    assert_eq!(err.to_string(), format!("valuation: {cause}"));
    let source = err.source().and_then(|s| s.downcast_ref::<ClvError>());
    assert_eq!(source, Some(&cause));
}

/// The crate's `Result` stays small enough to return everywhere (clippy's
/// `result_large_err` limit is 128 bytes): the large module errors are boxed.
#[test]
fn the_crate_error_is_small() {
    assert!(
        std::mem::size_of::<customer_lifecycle::Error>() < 128,
        "{}",
        std::mem::size_of::<customer_lifecycle::Error>()
    );
}
