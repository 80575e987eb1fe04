//! One campaign on the simulated base: a two-week email promotion to the
//! customers who consented to contact, with a holdout control; its report,
//! and the A/B test of the offer against the holdout: the sample-ratio
//! check first, then conversion and spend, and the spend once more with
//! CUPED on each customer's spend in the year before.

use std::io::Write;

use chrono::{DateTime, TimeDelta, Utc};
use customer_lifecycle::campaign::{
    Arm, AttributionOptions, Audience, Campaign, CampaignKind, Covariate, Cuped, Experiment, Uplift,
    sample_size_per_arm,
};
use customer_lifecycle::sim::CampaignSim;
use customer_lifecycle::{CampaignId, Customer, CustomerBase, CustomerId, Purpose, Window};

/// Runs the campaign on a copy of `base` from `start`, then prints its report
/// and the test of the offer against the holdout.
pub fn section(
    out: &mut dyn Write,
    base: &CustomerBase,
    start: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut base = base.clone();
    let audience: Audience =
        base.customers().filter(|c| c.consent().allows(Purpose::Contact)).map(Customer::id).collect();
    let test = Experiment::new(7, vec![Arm::holdout("holdout", 1), Arm::treatment("offer", 4)])?;
    let run = CampaignSim { conversion_lift: 0.04, ..CampaignSim::new(CampaignId::from_key("spring-promo"), start) };
    let ids: Vec<CustomerId> = audience.iter().collect();
    for event in run.events_by_habit(&base, &ids, Some(&test), 42)? {
        base.apply(&event)?;
    }
    let promo = Campaign::builder(run.campaign, "Spring promotion", CampaignKind::Promotion)
        .channel(run.channel.clone())
        .period(run.start, run.end())
        .cost("2500.00".parse()?)
        .audience(audience.clone())
        .build()?;
    let options = AttributionOptions::default();
    let report = promo.report(&base, options)?;
    let percent = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{:.1}%", 100.0 * x));

    writeln!(out, "\nCampaign \"{}\" ({} in the audience, {} reached):", promo.name(), audience.len(), report.reached)?;
    writeln!(out, "  response rate     {:>10}", percent(report.response_rate()))?;
    writeln!(out, "  conversion rate   {:>10}", percent(report.conversion_rate()))?;
    writeln!(out, "  attributed revenue{:>10}   cost {}", report.attributed_revenue.to_string(), report.cost)?;
    match report.roi.ratio() {
        Some(roi) => writeln!(out, "  ROI               {roi:>10.2}")?,
        None => writeln!(out, "  ROI                  no cost")?,
    }
    let per_new = report.cost_per_new_customer.map_or("-".to_owned(), |m| m.to_string());
    writeln!(out, "  new customers     {:>10}   at {per_new} each", report.new_customers)?;
    writeln!(out, "  moved up          {:>10}   came back {}", report.moved_up, report.reactivated)?;
    writeln!(out, "  touched without contact consent: {}", report.reached_without_consent)?;
    writeln!(out, "  {:<12} {:>8} {:>10} {:>10} {:>12}", "stage", "reached", "responded", "converted", "revenue")?;
    for row in report.by_stage.iter().filter(|r| r.reached > 0) {
        let revenue = row.attributed_revenue.to_string();
        writeln!(
            out,
            "  {:<12} {:>8} {:>10} {:>10} {:>12}",
            row.stage.name(),
            row.reached,
            row.responders,
            row.converted,
            revenue
        )?;
    }

    // Offer against holdout, over the audience, up to a week after the end.
    let end = run.end() + options.window;
    let arms = test.outcomes(&base, Some(&audience), run.start, end)?;
    let (holdout, offer) = (&arms[0], &arms[1]);
    writeln!(out, "\nA/B test: {} customers in the holdout, {} offered", holdout.customers, offer.customers)?;
    let srm = test.sample_ratio(&arms)?;
    writeln!(
        out,
        "  sample ratio 1:4 {} (chi2 = {:.2}, p = {:.3})",
        if srm.mismatch { "MISMATCH: do not trust the numbers below" } else { "as planned" },
        srm.chi2,
        srm.p_value
    )?;
    let uplift = Uplift::between(holdout, offer);
    if let Some(t) = uplift.conversion {
        writeln!(
            out,
            "  conversion {:.2}% -> {:.2}%: {:+.2} points (95% CI {:+.2} to {:+.2}), z = {:.2}, p = {:.4}",
            100.0 * t.rate_a,
            100.0 * t.rate_b,
            100.0 * t.diff,
            100.0 * t.ci95[0],
            100.0 * t.ci95[1],
            t.z,
            t.p_value
        )?;
    }
    if let Some(w) = uplift.revenue_per_customer {
        writeln!(out, "  revenue per customer {:+.2} (Welch t = {:.2}, p = {:.4})", w.diff, w.t, w.p_value)?;
    }
    // The same spend, adjusted for what each customer spent in the
    // year before: much of the spread between customers was there already.
    let before = Window::new(run.start - TimeDelta::days(365), run.start)?;
    let sums = test.revenue_sums(&base, Some(&audience), run.start, end, &Covariate::Spend(before))?;
    let cuped = Cuped::new(sums[0], sums[1])?;
    writeln!(
        out,
        "  with CUPED on pre-period spend: {:+.2} (95% CI {:+.2} to {:+.2}, p = {:.4}), variance down {:.0}%",
        cuped.effect,
        cuped.ci95[0],
        cuped.ci95[1],
        cuped.p_value,
        100.0 * cuped.variance_reduction
    )?;
    let next = sample_size_per_arm(0.05, 0.01, 0.05, 0.8)?;
    writeln!(out, "  to detect 5% -> 6% next time: {next} customers per arm")?;
    Ok(())
}
