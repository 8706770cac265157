//! `ambassador-bot export record <account>`: one person's record in the program (terms, check-ins,
//! activities logged, kudos received with their reasons and givers), for a performance review.

use ambassador_core::{Account, Clock, Platform, Program, Store, render_markdown};
use std::io::Write;

/// The person named by `who`: an account such as `slack:U012AB3CD` or `matrix:@ada:example.org`,
/// or a bare id on `default_platform` (`@ada`).
pub fn account_of(who: &str, default_platform: Platform) -> anyhow::Result<Account> {
    let who = who.trim();
    anyhow::ensure!(
        !who.is_empty(),
        "whose record? Give an account such as slack:U012AB3CD"
    );
    crate::import::account_of(who, default_platform).map_err(anyhow::Error::msg)
}

pub async fn export<S: Store, C: Clock>(
    program: &Program<S, C>,
    account: &Account,
    format: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!(format, "markdown" | "md" | "csv"),
        "unknown format `{format}`: use markdown or csv"
    );
    let Some(person) = program.store.find_person(account).await? else {
        anyhow::bail!(
            "nobody with the account {account} is known to the bot (accounts look like slack:U012AB3CD, matrix:@ada:example.org or console:ada)"
        );
    };
    let record = program.track_record(&person).await?;
    let tz = program.settings.time_zone;
    if format == "csv" {
        let mut w = crate::safe_csv::Writer::from_writer(out);
        w.write_record(["kind", "date", "until", "detail", "from", "from_account"])?;
        for t in &record.terms {
            w.write_record([
                "term".to_string(),
                t.since.to_string(),
                t.until.map(|u| u.to_string()).unwrap_or_default(),
                format!(
                    "ambassador of {} ({})",
                    t.department.name, t.department.region
                ),
                String::new(),
                String::new(),
            ])?;
        }
        w.write_record([
            "checkins".to_string(),
            String::new(),
            String::new(),
            record.checkins.describe(),
            String::new(),
            String::new(),
        ])?;
        // Activities, oldest first like the kudos: the text, then its audience and tags.
        for a in record.activities.iter().rev() {
            w.write_record([
                "activity".to_string(),
                a.on.to_string(),
                String::new(),
                program.activity_line(a),
                String::new(),
                String::new(),
            ])?;
        }
        for k in &record.kudos_received {
            w.write_record([
                "kudos".to_string(),
                k.given_at.with_timezone(&tz).date_naive().to_string(),
                String::new(),
                k.reason.clone(),
                k.giver.display_name.clone(),
                k.giver.account.to_string(),
            ])?;
        }
        w.write_record([
            "kudos_given".to_string(),
            String::new(),
            String::new(),
            record.kudos_given.to_string(),
            String::new(),
            String::new(),
        ])?;
        w.flush()?;
    } else {
        let m = program.record_message(&person, &record, None);
        writeln!(out, "{}", render_markdown(&m))?;
        writeln!(
            out,
            "\n_Exported {} from the ambassador program's records._",
            program.today()
        )?;
    }
    Ok(())
}
