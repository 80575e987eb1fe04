//! Campaign reports over a large base: 1,000,000 customers with about
//! 10,000,000 touches and responses.
//!
//! ```text
//! cargo bench --bench campaign -- --sample-size 10 --warm-up-time 1 --measurement-time 3
//! ```

use chrono::{FixedOffset, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::campaign::{AttributionOptions, Campaign, CampaignKind, TimingProfile};
use customer_lifecycle::sim::CampaignSim;
use customer_lifecycle::{CampaignId, CustomerBase, CustomerId, NewCustomer, Policy};

const CUSTOMERS: usize = 1_000_000;

fn report(c: &mut Criterion) {
    let t0 = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap();
    let ids: Vec<CustomerId> = (0..CUSTOMERS).map(|i| CustomerId::from_key(&format!("c{i:07}"))).collect();
    // Eight touches each, 40% answered by day and 20% by night: 8,000,000
    // touches, about 2,500,000 responses, and the purchases they lead to.
    let run = CampaignSim {
        touches_per_customer: 8,
        response_rate: 0.4,
        ..CampaignSim::new(CampaignId::from_key("bench"), t0 + TimeDelta::days(1))
    };
    let mut base = CustomerBase::new(Policy::default());
    base.reserve(CUSTOMERS, CUSTOMERS * 11);
    for &id in &ids {
        base.add_customer(NewCustomer::new(id, t0)).expect("new customer");
    }
    let mut touches_and_responses = 0u64;
    for event in run.events(&ids, None, 11).expect("valid settings") {
        touches_and_responses += u64::from(event.kind.campaign().is_some());
        base.apply(&event).expect("simulated events are valid");
    }
    let campaign = Campaign::builder(run.campaign, "bench", CampaignKind::Newsletter)
        .period(run.start, run.end())
        .cost("50000.00".parse().expect("amount"))
        .build()
        .expect("valid campaign");

    let mut group = c.benchmark_group("campaign");
    group.sample_size(10);
    group.throughput(Throughput::Elements(touches_and_responses));
    let label = format!("{}k_customers_{}k_touches_and_responses", CUSTOMERS / 1000, touches_and_responses / 1000);
    group.bench_function(format!("report/{label}"), |b| {
        b.iter(|| campaign.report(&base, AttributionOptions::default()).expect("report"));
    });
    group.bench_function(format!("timing_profile/{label}"), |b| {
        let utc = FixedOffset::east_opt(0).expect("offset");
        b.iter(|| TimingProfile::new(&base, utc, TimeDelta::days(2), None).expect("profile"));
    });
    group.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
