//! The cookbook: complete programs for the jobs users come with.
//!
//! Each recipe below is a whole program, and each is also a file in
//! `examples/` named after it, which runs on the small data bundled in
//! `examples/data/` (written by `scripts/cookbook_data.py`, deterministic):
//!
//! ```text
//! cargo run --example daily_ingest
//! cargo run --example clv_table
//! cargo run --example at_risk
//! cargo run --example segment_campaign
//! cargo run --example top_influencers
//! cargo run --example forget_customer
//! ```
//!
//! Give a path to run one on your own file instead
//! (`cargo run --example clv_table -- my_transactions.csv`). The source
//! shown here *is* the example file, included when the documentation is
//! built; it compiles as a doc-test, and `tests/examples.rs` runs each
//! program on the bundled data and checks what it prints, so the recipes
//! and the examples cannot drift apart.
//!
//! Every recipe needs the `csv` feature, and the daily one also the `store`
//! feature (both on by default).
//!
//! # Contents
//!
//! - [Your own event log into a store, kept daily](#your-own-event-log-into-a-store-kept-daily)
//! - [A CLV table from a transaction CSV](#a-clv-table-from-a-transaction-csv)
//! - [At-risk customers](#at-risk-customers)
//! - [A segment exported for a campaign, and its A/B test](#a-segment-exported-for-a-campaign-and-its-ab-test)
//! - [Top influencers from a follow list](#top-influencers-from-a-follow-list)
//! - [Erasing a customer](#erasing-a-customer)
//! - [Which purchase model?](#which-purchase-model)
//!
//! # Your own event log into a store, kept daily
//!
//! Once a day, the shop exports the day's events with its own keys (JSON
//! Lines or CSV, see [`eventlog`](crate::eventlog) for the format). The run
//! opens the [`CustomerStore`](crate::store::CustomerStore) (a directory,
//! created on the first day), applies the file as one batch
//! ([`apply_batch`](crate::store::CustomerStore::apply_batch): checked
//! whole, committed all or nothing and durably, events already stored
//! skipped; it reads only the customers the file names), and brings every
//! stage up to the end of the day
//! ([`advance_to`](crate::store::CustomerStore::advance_to): the library
//! never reads the clock). Nothing is replayed and nothing rewritten: each
//! customer's state is checkpointed, and a day's events are appended.
//!
//! ```no_run
#![doc = include_str!("../examples/daily_ingest.rs")]
//! ```
//!
//! On the bundled data (the history so far, then the next day, whose export
//! repeats one event of the day before):
//!
//! ```text
//! 2025-06-30: 1223 events applied, 0 already stored; customers: 200 new, 200 in the store
//! 2025-07-01: 4 events applied, 1 already stored; customers: 1 new, 201 in the store
//! ```
//!
//! # A CLV table from a transaction CSV
//!
//! A transaction log (one row a purchase: `customer_id,date,amount`) in; one
//! row a customer out, with the probability they are still a customer, the
//! purchases expected over the next year and their lifetime value over it.
//! [`Summary`](crate::clv::Summary) reduces the log to each customer's
//! repeat purchases, recency and age; [`ModelValuation::fit`](crate::clv::ModelValuation::fit)
//! fits the modified BG/NBD and the Gamma-Gamma; [`lifetime_value_by_periods`](crate::clv::lifetime_value_by_periods)
//! discounts the expected purchases times the expected spend per purchase.
//! See [which purchase model](#which-purchase-model) for the choice of
//! model.
//!
//! ```no_run
#![doc = include_str!("../examples/clv_table.rs")]
//! ```
//!
//! On the bundled data it begins:
//!
//! ```text
//! customer_id,repeat_purchases,p_alive,expected_purchases,clv
//! c197,28,0.868,26.16,1669.55
//! c040,24,0.964,18.45,1395.52
//! ```
//!
//! # At-risk customers
//!
//! A shop's own event log in; the customers at risk of churn out, most
//! valuable first. [`FeatureTable::from_base`](crate::segment::FeatureTable::from_base)
//! describes every customer as of a day (stage, recency, purchases,
//! complaints, RFM, …), and the ready segment `"at risk of churn"`
//! ([`ready_segments`](crate::segment::ready_segments)) selects those with
//! more than one purchase and none for 60 days, or an unresolved complaint,
//! who have not churned yet. Customers who withheld profiling consent are
//! never members. The same table answers any other segment: write your own
//! in JSON, as the next recipe does.
//!
//! ```no_run
#![doc = include_str!("../examples/at_risk.rs")]
//! ```
//!
//! On the bundled data it begins:
//!
//! ```text
//! 69 of 200 customers are at risk of churn
//! customer,stage,recency_days,purchases,monetary,open_complaints
//! c088,repeat,44,18,960.47,1
//! c175,dormant,175,14,794.89,0
//! ```
//!
//! # A segment exported for a campaign, and its A/B test
//!
//! The segment is taken on the day the campaign is planned (features as of
//! that instant, so running the program later gives the same list); its
//! members become the campaign's [`Audience`](crate::campaign::Audience)
//! and are split by an [`Experiment`](crate::campaign::Experiment) into a
//! holdout and a treatment arm by a stable hash of the seed and the
//! customer, the same on every run and machine. The list of keys and arms
//! is what the mailing tool gets. After the campaign's period,
//! [`Experiment::outcomes`](crate::campaign::Experiment::outcomes) counts
//! what each arm did, [`Experiment::sample_ratio`](crate::campaign::Experiment::sample_ratio)
//! checks the split before anything else is read, and
//! [`Uplift`](crate::campaign::Uplift) compares the arms. To size the test
//! beforehand, see [`sample_size_per_arm`](crate::campaign::sample_size_per_arm).
//!
//! ```no_run
#![doc = include_str!("../examples/segment_campaign.rs")]
//! ```
//!
//! On the bundled data (where nobody was actually mailed, so no effect is
//! expected) it ends:
//!
//! ```text
//! Win-back: 82 customers, sample ratio p = 0.269
//! control: 36 customers, 3 bought, revenue 146.38
//! offer: 46 customers, 5 bought, revenue 221.64
//! conversion: +0.025 (p = 0.701)
//! ```
//!
//! # Top influencers from a follow list
//!
//! A follow list (`follower_id,followed_id`) in; the five accounts with the
//! most influence out. [`EdgeListCsv`](crate::csv::EdgeListCsv)
//! reads the header to know what an edge means: in a follow graph the
//! follower endorses the followed, so rank flows against the stored edges
//! and word of mouth along them. [`pagerank`](crate::relationship::pagerank)
//! ranks; [`reach_counts`](crate::relationship::reach_counts) counts who is
//! within two hops. For customers of a [`CustomerBase`](crate::CustomerBase),
//! [`Network::from_base`](crate::relationship::Network::from_base) builds
//! the same graph from follow and referral events.
//!
//! ```no_run
#![doc = include_str!("../examples/top_influencers.rs")]
//! ```
//!
//! On the bundled data:
//!
//! ```text
//! account,pagerank,reach_2
//! c003,0.1348,111
//! c001,0.1052,54
//! c005,0.0732,55
//! c004,0.0631,79
//! c002,0.0616,50
//! ```
//!
//! # Erasing a customer
//!
//! *For the lead: if the store work adds its own erasure (on disk too),
//! this recipe is the place to show it.*
//!
//! A request to be forgotten: [`CustomerBase::forget`](crate::CustomerBase::forget)
//! erases the customer's key, attributes, consent and events, and the other
//! customers' events that name them; the base is rebuilt without them, so
//! everyone else ends exactly as if the customer had never been there.
//! Anything you exported before (a segment's list, a snapshot file) is
//! yours to erase too.
//!
//! ```no_run
#![doc = include_str!("../examples/forget_customer.rs")]
//! ```
//!
//! On the bundled data:
//!
//! ```text
//! erased c003: 3 events of their own, 43 events of others naming them
//! customers: 200 before, 199 after
//! still known: false
//! ```
//!
//! # Which purchase model?
//!
//! The guide is in the [`clv`](crate::clv#which-model-should-i-use) module:
//! in short, the modified BG/NBD by default, the Pareto/NBD when you can
//! afford a slower fit, the BG/BB when customers can buy only at fixed
//! occasions, and the sBG or BdW when they renew a contract.
