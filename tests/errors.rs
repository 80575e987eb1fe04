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
    BaseError, CustomerId, Error, Money, MoneyError, NpsScore, ParseIdError, PolicyError, ScoreRangeError,
    SnapshotError, WindowError,
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
            let _ = lifted::<customer_lifecycle::CsvError>;
            let _ = lifted::<customer_lifecycle::relationship::EdgeListError>;
        }
        #[cfg(feature = "sim")]
        let _ = lifted::<customer_lifecycle::sim::SimError>;
        #[cfg(feature = "plot")]
        let _ = lifted::<customer_lifecycle::plot::PlotError>;
    }
    assert!(lifted(TableError::UnknownColumn { name: "x".into() }).is_err());
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
    use customer_lifecycle::relationship::{EdgeListError, read_edge_list};
    use customer_lifecycle::{CsvError, TransactionCsv};

    /// A reader that always fails.
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cable pulled"))
        }
    }
    let err = TransactionCsv::new().read(Broken).unwrap_err();
    let CsvError::Io { ref source, .. } = err else { panic!("{err:?}") };
    assert_eq!(source.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(err.to_string(), "cannot read input: cable pulled");
    let cause = err.source().and_then(|s| s.source()).and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(cause.map(std::io::Error::kind), Some(std::io::ErrorKind::ConnectionReset));
    let missing = TransactionCsv::new().read_path("/no/such/file.csv").unwrap_err();
    assert!(matches!(missing, CsvError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound));
    let lifted = Error::from(missing);
    assert!(lifted.source().is_some(), "the crate error keeps the chain");

    let err = read_edge_list(Broken).unwrap_err();
    assert!(matches!(err, EdgeListError::Io { ref source } if source.kind() == std::io::ErrorKind::ConnectionReset));
}

#[test]
fn advocacy_keeps_the_model_error_as_its_source() {
    let cause = ClvError::NegativeAmount {
        customer_id: "a".into(),
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
