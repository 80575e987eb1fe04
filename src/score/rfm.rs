//! RFM: recency, frequency and monetary value as of a day, scored 1–5 by
//! quintile of rank as most tools do, and named segments from the scores.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::consent::{Profiled, end_of_day};
use crate::group::group_fold;
use crate::score::ScoreError;
use crate::transactions::{LogRow, TransactionLog};
use crate::{CustomerBase, CustomerId, Money};

/// One customer's three RFM scores, each in 1..=5, 5 best.
///
/// Serialises as its three-digit code (`455`).
///
/// # Example
///
/// ```
/// use customer_lifecycle::score::RfmScore;
///
/// let s = RfmScore::new(4, 5, 3)?;
/// assert_eq!((s.r(), s.f(), s.m()), (4, 5, 3));
/// assert_eq!(s.code(), 453);
/// assert_eq!(s.to_string(), "453");
/// assert_eq!(RfmScore::from_code(453)?, s);
/// assert!(RfmScore::new(0, 1, 1).is_err());
/// # Ok::<(), customer_lifecycle::score::ScoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct RfmScore {
    r: u8,
    f: u8,
    m: u8,
}

impl RfmScore {
    /// The scores `r`, `f`, `m`.
    ///
    /// # Errors
    ///
    /// [`ScoreError::InvalidRfmCode`] unless each lies in 1..=5.
    pub fn new(r: u8, f: u8, m: u8) -> Result<Self, ScoreError> {
        if [r, f, m].iter().all(|s| (1..=5).contains(s)) {
            Ok(RfmScore { r, f, m })
        } else {
            Err(ScoreError::InvalidRfmCode { code: u16::from(r) * 100 + u16::from(f) * 10 + u16::from(m) })
        }
    }

    /// The scores of a three-digit code such as `455`.
    ///
    /// # Errors
    ///
    /// [`ScoreError::InvalidRfmCode`] unless each digit lies in 1..=5.
    pub fn from_code(code: u16) -> Result<Self, ScoreError> {
        let bad = ScoreError::InvalidRfmCode { code };
        if !(111..=555).contains(&code) {
            return Err(bad);
        }
        RfmScore::new((code / 100) as u8, (code / 10 % 10) as u8, (code % 10) as u8).map_err(|_| bad)
    }

    /// The 125 scores, in code order (111, 112, …, 555).
    pub fn all() -> impl Iterator<Item = RfmScore> {
        (1..=5u8).flat_map(|r| (1..=5u8).flat_map(move |f| (1..=5u8).map(move |m| RfmScore { r, f, m })))
    }

    /// The recency score: 5 for the most recent buyers.
    pub const fn r(self) -> u8 {
        self.r
    }

    /// The frequency score: 5 for the most frequent buyers.
    pub const fn f(self) -> u8 {
        self.f
    }

    /// The monetary score: 5 for the biggest spenders.
    pub const fn m(self) -> u8 {
        self.m
    }

    /// The three-digit code `100 r + 10 f + m`.
    pub const fn code(self) -> u16 {
        self.r as u16 * 100 + self.f as u16 * 10 + self.m as u16
    }

    /// The position of the code among the 125, 0..125.
    const fn index(self) -> usize {
        (self.r as usize - 1) * 25 + (self.f as usize - 1) * 5 + (self.m as usize - 1)
    }
}

impl TryFrom<u16> for RfmScore {
    type Error = ScoreError;

    fn try_from(code: u16) -> Result<Self, ScoreError> {
        RfmScore::from_code(code)
    }
}

impl From<RfmScore> for u16 {
    fn from(score: RfmScore) -> u16 {
        score.code()
    }
}

impl fmt::Display for RfmScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.r, self.f, self.m)
    }
}

/// One customer's RFM row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmRow<K> {
    /// The customer, as keyed in the input.
    pub customer: K,
    /// Whole days from the last purchase day to the as-of day.
    pub recency_days: i64,
    /// Purchases on or before the as-of day (each record is one).
    pub frequency: u64,
    /// Their sum.
    pub monetary: Money,
    /// The quintile scores.
    pub score: RfmScore,
}

/// RFM values and scores of every customer who bought on or before a day.
///
/// # Formula
///
/// For each customer with at least one purchase on or before the as-of day
/// `d`: `recency_days` = `d` − the last purchase day (whole days),
/// `frequency` = the number of purchase records, `monetary` = their sum.
/// Each of the three is turned into a quintile score the way pandas'
/// `qcut(v.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])` does, so the
/// scores agree with the tools built on it:
///
/// 1. rank the `n` customers by the value, ascending, 1..=n, ties broken by
///    the customers' order (order of first appearance in the input);
/// 2. cut the ranks at the 0, 0.2, 0.4, 0.6, 0.8 and 1 quantiles of 1..=n
///    (linear interpolation: edge `e_k = 1 + k(n − 1)/5`) into right-closed
///    bins `(e_{k−1}, e_k]`, the lowest also holding `e_0`; rank `x` gets
///    `q(x) = max(1, ⌈5(x − 1)/(n − 1)⌉)`, computed in integers.
///
/// Then `f = q(frequency)`, `m = q(monetary)` and `r = 6 − q(recency_days)`
/// (recent buyers score high). The five counts per score differ by at most
/// one, and a strictly larger value never scores lower.
///
/// **Below five customers** the same rule applies, so some quintiles stay
/// empty: with `n = 2` the ranks score 1 and 5; `n = 3`: 1, 3, 5; `n = 4`:
/// 1, 2, 4, 5. With `n = 1`, pandas refuses (all edges coincide); here the
/// one customer is in the lowest bin, like the minimum always is, and scores
/// `r = 5, f = 1, m = 1`.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use customer_lifecycle::score::Rfm;
/// use customer_lifecycle::Money;
///
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let m = Money::from_minor;
/// let log = [("x", d("2024-01-01"), m(100)), ("y", d("2024-01-05"), m(100)), ("x", d("2024-02-01"), m(1))];
/// let rfm = Rfm::from_records(log, d("2024-01-31"))?;
/// let rows = rfm.rows();
/// assert_eq!(rows.len(), 2);
/// assert_eq!((rows[0].customer, rows[0].recency_days, rows[0].score.code()), ("x", 30, 111));
/// assert_eq!((rows[1].customer, rows[1].recency_days, rows[1].score.code()), ("y", 26, 555));
/// # Ok::<(), customer_lifecycle::score::ScoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfm<K = CustomerId> {
    as_of: NaiveDate,
    rows: Vec<RfmRow<K>>,
    left_out: usize,
}

impl<K: Hash + Eq + Clone> Rfm<K> {
    /// RFM from `(customer, day, amount)` purchase records in any order. The
    /// rows come in the order of each customer's first record, records after
    /// `as_of` included in that ordering but otherwise ignored; customers
    /// with no record on or before `as_of` are left out. Each record is one
    /// purchase (identical records too). The records carry no consent:
    /// filter them first, or use [`from_base`](Rfm::from_base).
    ///
    /// # Errors
    ///
    /// [`ScoreError::NegativeAmount`] for a negative amount (0 is a free
    /// order) and [`ScoreError::Money`] when a customer's sum overflows.
    ///
    /// # Complexity
    ///
    /// O(n + c log c) for n records of c customers: hashing per record
    /// (large inputs are partitioned by key hash first, so that each hash
    /// map stays in cache), then three rankings of the customers (a
    /// counting sort where the values span little, else a sort).
    pub fn from_records(
        records: impl IntoIterator<Item = (K, NaiveDate, Money)>,
        as_of: NaiveDate,
    ) -> Result<Self, ScoreError> {
        let mut negative = None;
        let records = records.into_iter();
        let expected = records.size_hint().0;
        let checked = records.enumerate().map_while(|(i, (key, date, amount))| {
            if amount.is_negative() {
                negative = Some(ScoreError::NegativeAmount { record: i, date, amount });
                return None;
            }
            Some((key, (date, amount.minor_units().unsigned_abs())))
        });
        // Days compare as dates (one integer comparison); only each
        // customer's last day is turned into a count of days. The amounts
        // are not negative, so a saturating sum in u64 overflows i64 exactly
        // when the true sum does, and is checked once per customer. The
        // accumulator stays small (40 bytes with its key) for the cache.
        let groups = group_fold(
            checked,
            expected,
            || (NaiveDate::MIN, 0u32, 0u64),
            |t, (day, cents)| {
                if day <= as_of {
                    t.0 = t.0.max(day);
                    t.1 += 1;
                    t.2 = t.2.saturating_add(cents);
                }
            },
        );
        if let Some(error) = negative {
            return Err(error);
        }
        Rfm::from_groups(groups, as_of)
    }

    /// The rows of customers with a purchase on or before `as_of`, from
    /// each customer's last such day, purchase count and (saturated) sum,
    /// in the customers' order.
    fn from_groups(
        groups: impl IntoIterator<Item = (K, (NaiveDate, u32, u64))>,
        as_of: NaiveDate,
    ) -> Result<Self, ScoreError> {
        let groups = groups.into_iter();
        let n = groups.size_hint().0;
        let mut keys = Vec::with_capacity(n);
        // Sized once: each growth of a large vector would fault in fresh
        // pages and copy.
        let (mut recency, mut frequency, mut monetary) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for (key, (last, count, sum)) in groups {
            if count == 0 {
                continue;
            }
            let sum = i64::try_from(sum).map_err(|_| crate::MoneyError::Overflow { operation: "add" })?;
            keys.push(key);
            recency.push((as_of - last).num_days());
            frequency.push(i64::from(count));
            monetary.push(sum);
        }
        // The three rankings are independent: one each on the pool.
        let [qr, qf, qm]: [Vec<u8>; 3] = crate::util::par_map(&[&recency, &frequency, &monetary], |v| quintiles(v))
            .try_into()
            .expect("three rankings");
        let rows = keys
            .into_iter()
            .enumerate()
            .map(|(i, customer)| RfmRow {
                customer,
                recency_days: recency[i],
                frequency: frequency[i] as u64,
                monetary: Money::from_minor(monetary[i]),
                score: RfmScore { r: 6 - qr[i], f: qf[i], m: qm[i] },
            })
            .collect();
        Ok(Rfm { as_of, rows, left_out: 0 })
    }

    /// As [`from_records`](Rfm::from_records), with ties in each ranking
    /// broken by the customers' keys (ascending, in `K`'s order: byte order
    /// for string keys) instead of their order of first appearance. Row
    /// order means nothing in a partitioned table, so this is the rule a
    /// distributed computation can reproduce; the rows still come in the
    /// order of each customer's first record.
    ///
    /// # Errors
    ///
    /// As [`from_records`](Rfm::from_records).
    ///
    /// # Complexity
    ///
    /// As [`from_records`](Rfm::from_records), plus a sort of the customers
    /// by key.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use customer_lifecycle::score::Rfm;
    /// use customer_lifecycle::Money;
    ///
    /// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    /// let m = Money::from_minor;
    /// // Equal values: by input order "b" ranks first, by key "a" does.
    /// let log = [("b", d("2024-01-01"), m(100)), ("a", d("2024-01-01"), m(100))];
    /// let rfm = Rfm::from_records_ties_by_key(log, d("2024-01-31"))?;
    /// assert_eq!((rfm.rows()[0].customer, rfm.rows()[0].score.code()), ("b", 155));
    /// assert_eq!((rfm.rows()[1].customer, rfm.rows()[1].score.code()), ("a", 511));
    /// # Ok::<(), customer_lifecycle::score::ScoreError>(())
    /// ```
    pub fn from_records_ties_by_key(
        records: impl IntoIterator<Item = (K, NaiveDate, Money)>,
        as_of: NaiveDate,
    ) -> Result<Self, ScoreError>
    where
        K: Ord,
    {
        let mut rfm = Rfm::from_records(records, as_of)?;
        let mut order: Vec<usize> = (0..rfm.rows.len()).collect();
        order.sort_unstable_by(|&a, &b| rfm.rows[a].customer.cmp(&rfm.rows[b].customer));
        // Rank in key order: the position then breaks ties by key.
        let values = |f: &dyn Fn(&RfmRow<K>) -> i64| order.iter().map(|&i| f(&rfm.rows[i])).collect::<Vec<i64>>();
        let qr = quintiles(&values(&|r| r.recency_days));
        let qf = quintiles(&values(&|r| r.frequency as i64));
        let qm = quintiles(&values(&|r| r.monetary.minor_units()));
        for (k, &i) in order.iter().enumerate() {
            rfm.rows[i].score = RfmScore { r: 6 - qr[k], f: qf[k], m: qm[k] };
        }
        Ok(rfm)
    }

    /// The as-of day.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// One row per scored customer.
    pub fn rows(&self) -> &[RfmRow<K>] {
        &self.rows
    }

    /// How many customers were left out for withheld profiling consent.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// How many scored customers fall in each segment of `segments`, in the
    /// map's order of segments (empty segments included).
    pub fn segment_sizes(&self, segments: &RfmSegments) -> Vec<(String, usize)> {
        let mut counts = vec![0usize; segments.names.len()];
        for row in &self.rows {
            counts[segments.by_code[row.score.index()] as usize] += 1;
        }
        segments.names.iter().cloned().zip(counts).collect()
    }
}

impl<'a> Rfm<&'a str> {
    /// RFM of a [`TransactionLog`]: the same as
    /// [`from_records(log.records(), as_of)`](Rfm::from_records), faster,
    /// since the log's customers are already numbered (and on every core,
    /// with the `parallel` feature, for large logs).
    ///
    /// # Errors
    ///
    /// As [`from_records`](Rfm::from_records).
    ///
    /// # Complexity
    ///
    /// O(n + c log c) for n rows of c customers, with no hashing.
    ///
    /// # Example
    ///
    /// ```
    /// # #[cfg(feature = "csv")] {
    /// use customer_lifecycle::csv::TransactionCsv;
    /// use customer_lifecycle::score::Rfm;
    ///
    /// let text = "customer_id,date,amount\nana,2024-01-05,12.50\nbo,2024-01-06,3\nana,2024-01-09,1\n";
    /// let log = TransactionCsv::new().from_reader(text.as_bytes())?;
    /// let rfm = Rfm::from_log(&log, "2024-01-10".parse()?)?;
    /// assert_eq!(rfm, Rfm::from_records(log.records(), "2024-01-10".parse()?)?);
    /// assert_eq!((rfm.rows()[0].customer, rfm.rows()[0].frequency), ("ana", 2));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(log: &'a TransactionLog, as_of: NaiveDate) -> Result<Self, ScoreError> {
        /// Rows per piece worth a thread; fewer go in one piece.
        const PIECE: usize = if cfg!(test) { 4 } else { 1 << 16 };
        let rows = log.rows();
        let keys = log.keys();
        if let Some(i) = rows.iter().position(|r| r.amount.is_negative()) {
            let LogRow { date, amount, .. } = rows[i];
            return Err(ScoreError::NegativeAmount { record: i, date, amount });
        }
        // Every piece folds into a table of all customers; tables merge by
        // max, + and saturating + (all associative and commutative on these
        // non-negative values), so any cut gives the same sums.
        let pieces = if rows.len() >= 2 * PIECE && rows.len() >= 4 * keys.len() {
            crate::util::threads().min(rows.len() / PIECE)
        } else {
            1
        };
        let fold = |rows: &&[LogRow]| {
            let mut acc = vec![(NaiveDate::MIN, 0u32, 0u64); keys.len()];
            for r in *rows {
                if r.date <= as_of {
                    let t = &mut acc[r.customer as usize];
                    t.0 = t.0.max(r.date);
                    t.1 += 1;
                    t.2 = t.2.saturating_add(r.amount.minor_units().unsigned_abs());
                }
            }
            acc
        };
        let mut tables = crate::util::par_map(&crate::util::pieces(rows, pieces), fold).into_iter();
        let mut acc = tables.next().expect("one piece at least");
        for table in tables {
            for (t, u) in acc.iter_mut().zip(table) {
                t.0 = t.0.max(u.0);
                t.1 += u.1;
                t.2 = t.2.saturating_add(u.2);
            }
        }
        Rfm::from_groups(keys.iter().map(String::as_str).zip(acc), as_of)
    }
}

#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
impl Rfm<String> {
    /// RFM of the transaction CSV file at `path`, its columns as `csv`
    /// names them: the same scores and rows, in the same order, as
    /// [`Rfm::from_log`] of [`csv.from_path(path)`](crate::csv::TransactionCsv::from_path),
    /// with the same errors, but faster and in less memory: each row is
    /// added to its customer's recency, frequency and monetary sums as it
    /// is parsed (in pieces on every core with the `parallel` feature), and
    /// no row is kept.
    ///
    /// # Errors
    ///
    /// [`Error::Csv`](crate::Error::Csv) as
    /// [`from_path`](crate::csv::TransactionCsv::from_path), naming the
    /// first bad line; [`Error::Scoring`](crate::Error::Scoring) as
    /// [`from_records`](Rfm::from_records).
    ///
    /// # Complexity
    ///
    /// O(n + c log c) for n rows of c customers; memory O(file + c).
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::csv::TransactionCsv;
    /// use customer_lifecycle::score::Rfm;
    ///
    /// let path = std::env::temp_dir().join(format!("rfm-read-path-{}.csv", std::process::id()));
    /// std::fs::write(&path, "customer_id,date,amount\nana,2024-01-05,12.50\nbo,2024-01-06,3\nana,2024-01-09,1\n")?;
    /// let csv = TransactionCsv::new();
    /// let rfm = Rfm::read_path(&csv, &path, "2024-01-10".parse()?)?;
    /// let log = csv.from_path(&path)?;
    /// let from_log = Rfm::from_log(&log, "2024-01-10".parse()?)?;
    /// assert_eq!(rfm.rows()[0].customer, "ana");
    /// assert!(rfm.rows().iter().zip(from_log.rows()).all(|(a, b)| a.customer == b.customer && a.score == b.score));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_path(
        csv: &crate::csv::TransactionCsv,
        path: impl AsRef<std::path::Path>,
        as_of: NaiveDate,
    ) -> Result<Self, crate::Error> {
        let (keys, sums) = csv.fold_path(path, &RfmFold { as_of })?;
        Ok(Rfm::from_groups(keys.into_iter().zip(sums), as_of)?)
    }
}

#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
impl<K: fmt::Display + Sync> Rfm<K> {
    /// The header [`write_csv`](Rfm::write_csv) writes.
    pub const CSV_HEADER: [&'static str; 8] =
        ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"];

    /// Writes the rows as CSV (RFC 4180 quoting where a field needs it),
    /// in row order, under the header [`CSV_HEADER`](Rfm::CSV_HEADER):
    /// the customer as it displays, whole days since the last purchase,
    /// the purchase count, their sum with two decimals, the three scores
    /// and the segment `segments` gives the score. Rows are formatted in
    /// blocks on every core (with the `parallel` feature) and written in
    /// order; the bytes do not depend on the number of threads.
    ///
    /// # Errors
    ///
    /// The first error of `out`. Rows before it may have been written.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::score::{Rfm, RfmSegments};
    /// use customer_lifecycle::Money;
    ///
    /// let day = "2024-01-31".parse()?;
    /// let rfm = Rfm::from_records([("a,b", "2024-01-30".parse()?, Money::from_minor(1250))], day)?;
    /// let mut out = Vec::new();
    /// rfm.write_csv(&RfmSegments::default(), &mut out)?;
    /// let text = String::from_utf8(out)?;
    /// assert_eq!(
    ///     text,
    ///     "customer_id,recency_days,frequency,monetary,r,f,m,segment\n\"a,b\",1,1,12.50,5,1,1,New Customers\n"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_csv(&self, segments: &RfmSegments, mut out: impl std::io::Write) -> std::io::Result<()> {
        /// Rows a block: about 200 KB of text.
        const BLOCK: usize = 4096;
        let mut header = ::csv::Writer::from_writer(Vec::new());
        header.write_record(Self::CSV_HEADER).map_err(std::io::Error::other)?;
        out.write_all(&header.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)?;
        // A few blocks per thread at a time bound the memory held.
        let window = BLOCK * 4 * crate::util::threads();
        for rows in self.rows.chunks(window) {
            let blocks: Vec<&[RfmRow<K>]> = rows.chunks(BLOCK).collect();
            for text in crate::util::par_map(&blocks, |rows| csv_block(rows, segments)) {
                out.write_all(&text?)?;
            }
        }
        Ok(())
    }
}

/// The CSV text of some rows, as [`Rfm::write_csv`] writes them: written
/// byte by byte, numbers by hand, text quoted where the `csv` crate's
/// writer would quote it (see [`put_text`]), the same bytes as that writer
/// gives, without its per-field state machine and formatting machinery.
#[cfg(feature = "csv")]
fn csv_block<K: fmt::Display>(rows: &[RfmRow<K>], segments: &RfmSegments) -> std::io::Result<Vec<u8>> {
    use std::fmt::Write as _;
    let mut out = Vec::with_capacity(rows.len() * 48);
    // One reused buffer for the displayed key instead of a string each.
    let mut key = String::new();
    for row in rows {
        let s = row.score;
        key.clear();
        write!(key, "{}", row.customer).map_err(std::io::Error::other)?;
        put_text(&mut out, key.as_bytes());
        out.push(b',');
        put_int(&mut out, row.recency_days.is_negative(), row.recency_days.unsigned_abs());
        out.push(b',');
        put_int(&mut out, false, row.frequency);
        out.push(b',');
        // As `Money` displays: sign, whole units, point, two digits.
        let minor = row.monetary.minor_units();
        put_int(&mut out, minor < 0, minor.unsigned_abs() / 100);
        let cents = (minor.unsigned_abs() % 100) as u8;
        out.extend_from_slice(&[b'.', b'0' + cents / 10, b'0' + cents % 10, b',']);
        out.extend_from_slice(&[b'0' + s.r(), b',', b'0' + s.f(), b',', b'0' + s.m(), b',']);
        put_text(&mut out, segments.segment(s).as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// Appends `text` as a CSV field the way the `csv` crate's default writer
/// does: as is, or, when it holds a comma, a double quote, a carriage
/// return or a line feed, in double quotes with each double quote doubled.
#[cfg(feature = "csv")]
fn put_text(out: &mut Vec<u8>, text: &[u8]) {
    if !text.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        out.extend_from_slice(text);
        return;
    }
    out.push(b'"');
    for &b in text {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends `value` in decimal, after a minus sign when `negative`.
#[cfg(feature = "csv")]
fn put_int(out: &mut Vec<u8>, negative: bool, mut value: u64) {
    if negative {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// The fold behind [`Rfm::read_path`]: each customer's last day at or
/// before `as_of`, rows then and sum of minor units, merged by max, + and
/// saturating + as [`Rfm::from_log`] merges its pieces.
#[cfg(feature = "csv")]
struct RfmFold {
    as_of: NaiveDate,
}

#[cfg(feature = "csv")]
impl crate::csv::CustomerFold for RfmFold {
    type Acc = (NaiveDate, u32, u64);

    fn empty(&self) -> Self::Acc {
        (NaiveDate::MIN, 0, 0)
    }

    fn add(&self, acc: &mut Self::Acc, date: NaiveDate, amount: Money) {
        if date <= self.as_of {
            acc.0 = acc.0.max(date);
            acc.1 += 1;
            acc.2 = acc.2.saturating_add(amount.minor_units().unsigned_abs());
        }
    }

    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
        acc.0 = acc.0.max(later.0);
        acc.1 += later.1;
        acc.2 = acc.2.saturating_add(later.2);
    }
}

impl Rfm<CustomerId> {
    /// RFM over the purchase events of a base, with each purchase's day
    /// taken in UTC. Customers who withheld profiling consent are left out
    /// and counted in [`left_out`](Rfm::left_out); ties are broken in the
    /// order customers were added. Refunds are not purchases and do not
    /// count.
    ///
    /// # Errors
    ///
    /// [`ScoreError::Money`] when a customer's sum overflows.
    ///
    /// # Complexity
    ///
    /// O(e + c log c) for e events of c customers.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use customer_lifecycle::score::Rfm;
    /// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy};
    ///
    /// let mut base = CustomerBase::new(Policy::default());
    /// let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    /// let ana = base.add_customer(NewCustomer::with_key("ana", t))?;
    /// base.apply(&Event { id: EventId::from_key("o1"), customer: ana, at: t, channel: Channel::Web, kind: EventKind::Purchase { amount: "20.00".parse()? } })?;
    /// let rfm = Rfm::from_base(&base, "2024-05-11".parse()?)?;
    /// assert_eq!(rfm.rows()[0].recency_days, 10);
    /// assert_eq!(rfm.left_out(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_base(base: &CustomerBase, as_of: NaiveDate) -> Result<Self, ScoreError> {
        let profiled = Profiled::as_of(base, end_of_day(as_of));
        let mut rfm = Rfm::from_records(profiled.purchases(base), as_of)?;
        rfm.left_out = profiled.left_out;
        Ok(rfm)
    }
}

/// The quintile 1..=5 of each value's rank, ties in input order (see
/// [`Rfm`]'s formula).
pub(crate) fn quintiles(values: &[i64]) -> Vec<u8> {
    let n = values.len();
    let mut q = vec![1u8; n];
    if n < 2 {
        return q;
    }
    for (rank0, i) in rank_order(values).into_iter().enumerate() {
        q[i as usize] = quintile_of_rank(rank0 as u64 + 1, n as u64);
    }
    q
}

/// The positions of `values` in rank order: by value, equal values in input
/// order (pandas' "first" rank).
fn rank_order(values: &[i64]) -> Vec<u32> {
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else { return Vec::new() };
    let span = max.abs_diff(min);
    if span <= 4 * values.len() as u64 {
        // A stable counting sort: recency days and purchase counts (and
        // often amounts) span few distinct values.
        let mut starts = vec![0u32; span as usize + 2];
        for &v in values {
            starts[v.abs_diff(min) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut order = vec![0u32; values.len()];
        for (i, &v) in values.iter().enumerate() {
            let slot = &mut starts[v.abs_diff(min) as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        order
    } else {
        // A stable radix sort on the distance from the least value (as
        // many bits as the span needs): input order breaks ties, as in
        // pandas, and it beats a comparison sort on amounts in cents.
        let mut pairs: Vec<(u64, u32)> = values.iter().enumerate().map(|(i, &v)| (v.abs_diff(min), i as u32)).collect();
        crate::util::radix_sort_by_key(&mut pairs, u64::BITS - span.leading_zeros(), |p| p.0);
        pairs.into_iter().map(|(_, i)| i).collect()
    }
}

/// `max(1, ⌈5(x − 1)/(n − 1)⌉)` for rank `x` of `n ≥ 2`.
fn quintile_of_rank(x: u64, n: u64) -> u8 {
    let q = (5 * (x - 1)).div_ceil(n - 1);
    q.max(1) as u8
}

/// A map from every RFM code to a named segment, with the common map as
/// its default. Serialises as a list of segments, each a name and its codes,
/// and reads back only when every one of the 125 codes is named exactly
/// once.
///
/// The default map (Champions, Loyal, Potential Loyalist, New Customers,
/// Promising, Need Attention, About To Sleep, At Risk, Can't Lose Them,
/// Hibernating, Lost) is the widely used one, names spelled with an ASCII
/// apostrophe.
///
/// # Example
///
/// ```
/// use customer_lifecycle::score::{RfmScore, RfmSegments};
///
/// let map = RfmSegments::default();
/// assert_eq!(map.segment(RfmScore::from_code(155)?), "Can't Lose Them");
///
/// let (top, rest): (Vec<RfmScore>, Vec<RfmScore>) = RfmScore::all().partition(|s| s.r() >= 4);
/// let codes = |v: Vec<RfmScore>| v.into_iter().map(RfmScore::code).collect::<Vec<u16>>();
/// let mine = RfmSegments::from_groups([("top", codes(top)), ("rest", codes(rest))])?;
/// assert_eq!(mine.segment(RfmScore::from_code(411)?), "top");
/// let json = serde_json::to_string(&mine)?;
/// assert_eq!(serde_json::from_str::<RfmSegments>(&json)?, mine);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<SegmentCodes>", into = "Vec<SegmentCodes>")]
pub struct RfmSegments {
    names: Vec<String>,
    /// The segment (index into `names`) of each code, by [`RfmScore::index`].
    by_code: Vec<u8>,
}

/// One segment as it is serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SegmentCodes {
    name: String,
    codes: Vec<u16>,
}

const DEFAULT_SEGMENTS: [(&str, &[u16]); 11] = [
    ("Champions", &[555, 554, 544, 545, 454, 455, 445]),
    ("Loyal", &[543, 444, 435, 355, 354, 345, 344, 335]),
    (
        "Potential Loyalist",
        &[
            553, 551, 552, 541, 542, 533, 532, 531, 452, 451, 442, 441, 431, 453, 433, 432, 423, 353, 352, 351, 342,
            341, 333, 323,
        ],
    ),
    ("New Customers", &[512, 511, 422, 421, 412, 411, 311]),
    ("Promising", &[525, 524, 523, 522, 521, 515, 514, 513, 425, 424, 413, 414, 415, 315, 314, 313]),
    ("Need Attention", &[535, 534, 443, 434, 343, 334, 325, 324]),
    ("About To Sleep", &[331, 321, 312, 221, 213, 231, 241, 251]),
    (
        "At Risk",
        &[255, 254, 245, 244, 253, 252, 243, 242, 235, 234, 225, 224, 153, 152, 145, 143, 142, 135, 134, 133, 125, 124],
    ),
    ("Can't Lose Them", &[155, 154, 144, 214, 215, 115, 114, 113]),
    ("Hibernating", &[332, 322, 233, 232, 223, 222, 132, 123, 122, 212, 211]),
    ("Lost", &[111, 112, 121, 131, 141, 151]),
];

impl Default for RfmSegments {
    fn default() -> Self {
        RfmSegments::from_groups(DEFAULT_SEGMENTS.iter().map(|(name, codes)| (*name, codes.to_vec())))
            .expect("the default map names each code once")
    }
}

impl RfmSegments {
    /// A map from `(segment name, codes)` pairs, in the order given.
    ///
    /// # Errors
    ///
    /// [`ScoreError::InvalidRfmCode`] for a code that is not three digits in
    /// 1..=5, [`ScoreError::DuplicateRfmCode`] for a code named twice,
    /// [`ScoreError::MissingRfmCode`] for one never named.
    pub fn from_groups<S: Into<String>, C: IntoIterator<Item = u16>>(
        groups: impl IntoIterator<Item = (S, C)>,
    ) -> Result<Self, ScoreError> {
        const UNSET: u8 = u8::MAX;
        let mut names: Vec<String> = Vec::new();
        let mut by_code = vec![UNSET; 125];
        for (name, codes) in groups {
            let name = name.into();
            let segment = u8::try_from(names.len()).map_err(|_| ScoreError::InvalidSetting {
                name: "segments".into(),
                value: names.len() as f64,
                reason: "at most 125 segments",
            })?;
            for code in codes {
                let slot = &mut by_code[RfmScore::from_code(code)?.index()];
                if *slot != UNSET {
                    let first = names.get(*slot as usize).unwrap_or(&name).clone();
                    return Err(ScoreError::DuplicateRfmCode { code, first, second: name });
                }
                *slot = segment;
            }
            names.push(name);
        }
        if let Some(i) = by_code.iter().position(|&s| s == UNSET) {
            let code = ((i / 25 + 1) * 100 + (i / 5 % 5 + 1) * 10 + (i % 5 + 1)) as u16;
            return Err(ScoreError::MissingRfmCode { code });
        }
        Ok(RfmSegments { names, by_code })
    }

    /// The segment of a score.
    pub fn segment(&self, score: RfmScore) -> &str {
        &self.names[self.by_code[score.index()] as usize]
    }

    /// The segment names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The codes of each segment, in code order.
    pub fn groups(&self) -> BTreeMap<&str, Vec<u16>> {
        let mut out: BTreeMap<&str, Vec<u16>> = self.names.iter().map(|n| (n.as_str(), Vec::new())).collect();
        for code in RfmScore::all() {
            out.get_mut(self.segment(code)).expect("every segment is listed").push(code.code());
        }
        out
    }
}

impl TryFrom<Vec<SegmentCodes>> for RfmSegments {
    type Error = ScoreError;

    fn try_from(groups: Vec<SegmentCodes>) -> Result<Self, ScoreError> {
        RfmSegments::from_groups(groups.into_iter().map(|g| (g.name, g.codes)))
    }
}

impl From<RfmSegments> for Vec<SegmentCodes> {
    fn from(map: RfmSegments) -> Self {
        let mut codes: Vec<Vec<u16>> = vec![Vec::new(); map.names.len()];
        for score in RfmScore::all() {
            codes[map.by_code[score.index()] as usize].push(score.code());
        }
        map.names.into_iter().zip(codes).map(|(name, codes)| SegmentCodes { name, codes }).collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::util::on_threads;

    /// `write_csv` writes what a plain CSV writer writes row by row, across
    /// its blocks of rows and with 1 or 3 threads, quoting keys that need it.
    #[cfg(feature = "csv")]
    #[test]
    fn written_csv_is_the_rows_in_order_whatever_the_threads() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).expect("a day");
        let records = (0..9_000i64).map(|i| {
            let key = match i % 3 {
                0 => format!("c{i}"),
                1 => format!("\"q\" {i}, and more"),
                _ => format!("line\n{i}"),
            };
            (key, day - chrono::TimeDelta::days(i % 400), Money::from_minor(i * 37 % 100_000))
        });
        let rfm = Rfm::from_records(records, day).expect("valid records");
        let segments = RfmSegments::default();
        let mut header = ::csv::Writer::from_writer(Vec::new());
        header.write_record(Rfm::<String>::CSV_HEADER).expect("in memory");
        let mut expected = header.into_inner().expect("in memory");
        expected.extend(csv_block_reference(rfm.rows(), &segments));
        for threads in [1, 3] {
            let mut out = Vec::new();
            on_threads(threads, || rfm.write_csv(&segments, &mut out)).expect("in memory");
            assert!(out == expected, "{threads} threads");
        }
        assert!(String::from_utf8(expected).expect("text").contains("\"\"\"q\"\" 4, and more\""));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// RFM of a log is RFM of its records, with 1, 2 or 3 threads (a
        /// piece is 4 rows in the unit tests), negative amounts and rows
        /// after the as-of day included.
        #[test]
        fn from_log_is_from_records_on_any_threads(
            records in prop::collection::vec((0u8..12, 0i64..60, -1i64..5000), 0..200),
        ) {
            let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
            let as_of = NaiveDate::from_ymd_opt(2024, 2, 15).unwrap();
            let records: Vec<(String, NaiveDate, Money)> = records
                .into_iter()
                .map(|(k, d, a)| (format!("c{k}"), start + chrono::Days::new(d as u64), Money::from_minor(if a < 0 && d % 7 != 0 { 1 } else { a })))
                .collect();
            let log = TransactionLog::from_records(records.iter().map(|(k, d, a)| (k.as_str(), *d, *a)));
            let reference = Rfm::from_records(log.records(), as_of);
            for threads in [1, 2, 3] {
                prop_assert_eq!(&on_threads(threads, || Rfm::from_log(&log, as_of)), &reference);
            }
        }
    }

    /// The rows as the `csv` crate's writer writes them: what
    /// `csv_block` must reproduce byte for byte.
    #[cfg(feature = "csv")]
    fn csv_block_reference<K: fmt::Display>(rows: &[RfmRow<K>], segments: &RfmSegments) -> Vec<u8> {
        let mut csv = ::csv::Writer::from_writer(Vec::new());
        for row in rows {
            let s = row.score;
            let fields = [
                row.customer.to_string(),
                row.recency_days.to_string(),
                row.frequency.to_string(),
                row.monetary.to_string(),
                s.r().to_string(),
                s.f().to_string(),
                s.m().to_string(),
                segments.segment(s).to_owned(),
            ];
            csv.write_record(&fields).unwrap();
        }
        csv.into_inner().unwrap()
    }

    #[cfg(feature = "csv")]
    proptest! {
        /// The hand-written CSV rows are the `csv` crate's, byte for byte:
        /// keys that need quotes (commas, quotes, line ends) or not, empty,
        /// non-ASCII; any counts, sums and signs.
        #[test]
        fn csv_rows_are_what_the_csv_writer_writes(
            rows in prop::collection::vec(
                ("[a,\"\r\n é]{0,6}", any::<i64>(), any::<u64>(), any::<i64>(), 1u8..=5, 1u8..=5, 1u8..=5),
                0..40,
            ),
        ) {
            let rows: Vec<RfmRow<String>> = rows
                .into_iter()
                .map(|(customer, recency_days, frequency, minor, r, f, m)| RfmRow {
                    customer,
                    recency_days,
                    frequency,
                    monetary: Money::from_minor(minor),
                    score: RfmScore::new(r, f, m).unwrap(),
                })
                .collect();
            let segments = RfmSegments::default();
            prop_assert_eq!(csv_block(&rows, &segments).unwrap(), csv_block_reference(&rows, &segments));
        }
    }

    proptest! {
        /// Both orderings (counting sort for a narrow span, radix sort for
        /// a wide one) are the sort by value, then position.
        #[test]
        fn rank_order_is_by_value_then_position(
            values in prop::collection::vec(prop_oneof![any::<i64>(), -50i64..50, Just(i64::MIN), Just(i64::MAX)], 0..300),
        ) {
            let mut expected: Vec<(i64, u32)> = values.iter().enumerate().map(|(i, &v)| (v, i as u32)).collect();
            expected.sort_unstable();
            let expected: Vec<u32> = expected.into_iter().map(|(_, i)| i).collect();
            prop_assert_eq!(rank_order(&values), expected);
        }
    }

    #[test]
    fn quintiles_match_qcut_by_hand() {
        let q = |n: u64| (1..=n).map(|x| quintile_of_rank(x, n)).collect::<Vec<_>>();
        assert_eq!(q(2), [1, 5]);
        assert_eq!(q(3), [1, 3, 5]);
        assert_eq!(q(4), [1, 2, 4, 5]);
        assert_eq!(q(5), [1, 2, 3, 4, 5]);
        // edges 1, 2.2, 3.4, 4.6, 5.8, 7
        assert_eq!(q(7), [1, 1, 2, 3, 4, 5, 5]);
        // edges 1, 2.8, 4.6, 6.4, 8.2, 10
        assert_eq!(q(10), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // edges 1, 3, 5, 7, 9, 11: an edge is in the bin below it
        assert_eq!(q(11), [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(quintiles(&[7]), [1]);
        assert_eq!(quintiles(&[]), Vec::<u8>::new());
        // ties in input order: the first 3 ranks 1, the second 3 ranks 2
        assert_eq!(quintiles(&[3, 3, 1, 2, 9]), [3, 4, 1, 2, 5]);
        // both orderings: counting sort (narrow span) and pair sort (wide)
        let wide = [5_000_000_000, 7, 7, -3, 5_000_000_000, 0];
        assert_eq!(rank_order(&wide), [3, 5, 1, 2, 0, 4]);
        let narrow = [2, 7, 7, -3, 2, 0];
        assert_eq!(rank_order(&narrow), [3, 5, 0, 4, 1, 2]);
    }

    #[test]
    fn overflowing_sums_and_negative_amounts_are_errors() {
        let day: NaiveDate = "2024-01-01".parse().unwrap();
        let big = [("a", day, Money::from_minor(i64::MAX)), ("a", day, Money::from_minor(1))];
        assert!(matches!(Rfm::from_records(big, day), Err(ScoreError::Money(_))));
        let huge = [("a", day, Money::from_minor(i64::MAX)); 3];
        assert!(matches!(Rfm::from_records(huge, day), Err(ScoreError::Money(_))));
        let negative = [("a", day, Money::ZERO), ("b", day, Money::from_minor(-5))];
        assert_eq!(
            Rfm::from_records(negative, day).unwrap_err(),
            ScoreError::NegativeAmount { record: 1, date: day, amount: Money::from_minor(-5) }
        );
    }

    #[test]
    fn ties_by_key_do_not_depend_on_record_order() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
        // Many ties in every ranking: 30 customers, 3 distinct values each.
        let records: Vec<(String, NaiveDate, Money)> = (0..90u32)
            .map(|i| (format!("c{:02}", (i * 7) % 30), day(1 + i % 3), Money::from_minor(i64::from(100 * (i % 2)))))
            .collect();
        let as_of = day(20);
        let scores = |rfm: Rfm<String>| {
            let mut rows: Vec<(String, u16)> =
                rfm.rows().iter().map(|r| (r.customer.clone(), r.score.code())).collect();
            rows.sort();
            rows
        };
        let forward = scores(Rfm::from_records_ties_by_key(records.clone(), as_of).unwrap());
        let mut reversed = records.clone();
        reversed.reverse();
        assert_eq!(scores(Rfm::from_records_ties_by_key(reversed.clone(), as_of).unwrap()), forward);
        // Input-order ties do depend on it here, so the test can tell them apart.
        assert_ne!(scores(Rfm::from_records(reversed, as_of).unwrap()), forward);
        // Records sorted by key: both rules agree.
        let mut sorted = records;
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(scores(Rfm::from_records(sorted, as_of).unwrap()), forward);
    }

    #[test]
    fn the_default_map_names_every_code_once() {
        let total: usize = DEFAULT_SEGMENTS.iter().map(|(_, c)| c.len()).sum();
        assert_eq!(total, 125);
        let map = RfmSegments::default();
        assert_eq!(map.names().len(), 11);
        assert_eq!(map.groups().values().map(Vec::len).sum::<usize>(), 125);
        assert_eq!(map.segment(RfmScore::from_code(111).unwrap()), "Lost");
        assert_eq!(map.segment(RfmScore::from_code(555).unwrap()), "Champions");
        let json = serde_json::to_string(&map).unwrap();
        assert!(json.contains(r#"{"name":"Can't Lose Them","codes":[113,114,115,144,154,155,214,215]}"#), "{json}");
        assert_eq!(serde_json::from_str::<RfmSegments>(&json).unwrap(), map);
    }

    #[test]
    fn bad_maps_are_refused() {
        let err = RfmSegments::from_groups([("a", vec![111, 111])]).unwrap_err();
        assert!(matches!(err, ScoreError::DuplicateRfmCode { code: 111, .. }));
        assert_eq!(RfmSegments::from_groups([("a", vec![111])]).unwrap_err(), ScoreError::MissingRfmCode { code: 112 });
        assert_eq!(RfmSegments::from_groups([("a", vec![161])]).unwrap_err(), ScoreError::InvalidRfmCode { code: 161 });
    }
}
