//! The org map and the roster, kept by the program office: departments (name, region, headcount)
//! and who represents which department.
//!
//! ```text
//! ambassadors dept add | new | create <name> [in] <region> [headcount]
//! ambassadors dept rename <name> to|as <new name>
//! ambassadors dept move | region <name> to|into <region>
//! ambassadors dept headcount | size | people <name> <number | none | unknown | - | clear>
//! ambassadors dept remove | delete | rm <name>
//! ambassadors add @person [to|in|for] <department> [time zone]
//! ambassadors remove @person
//! ambassadors pause @person
//! ambassadors resume @person
//! ```
//!
//! `dept` is also written `department`, `departments` or `depts`. Names of several words go in
//! quotes, or around the separator word (`to`, `in` …).

use super::parse::{Group, PResult, ParseError, join, joined, person_first};
use super::token::Token;
use super::{Command, CommandSpec, Role};

pub(super) const DEPT: Group = Group {
    name: "ambassadors dept",
    aliases: &["department", "departments", "depts"],
    missing: "What should I do with departments?",
};

pub(super) const DEPT_ADD: CommandSpec = CommandSpec {
    name: "ambassadors dept add",
    aliases: &["ambassadors dept new|create"],
    role: Role::Office,
    usage: "ambassadors dept add <name> <region> [headcount]",
    example: "ambassadors dept add \"Platform Engineering\" EMEA 120",
    help: Some("add a department to the org map"),
    parse: |i| {
        let rest = i.args();
        let (names, headcount) = match rest.split_last() {
            Some((last, before)) if !last.quoted && looks_numeric(&last.text) => {
                (before, Some(headcount(&last.text, DEPT_ADD.usage)?))
            }
            _ => (rest, None),
        };
        let (name, region) = two_names(
            names,
            &["in"],
            DEPT_ADD.usage,
            "a department name and its region",
        )?;
        Ok(Some(Command::DeptAdd {
            name,
            region,
            headcount,
        }))
    },
    is: |c| matches!(c, Command::DeptAdd { .. }),
};

pub(super) const DEPT_RENAME: CommandSpec = CommandSpec {
    name: "ambassadors dept rename",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors dept rename <name> to <new name>",
    example: "ambassadors dept rename Platform to \"Platform Engineering\"",
    help: Some("rename a department"),
    parse: |i| {
        let (name, new_name) = two_names(
            i.args(),
            &["to", "as"],
            DEPT_RENAME.usage,
            "the department and its new name",
        )?;
        Ok(Some(Command::DeptRename { name, new_name }))
    },
    is: |c| matches!(c, Command::DeptRename { .. }),
};

pub(super) const DEPT_MOVE: CommandSpec = CommandSpec {
    name: "ambassadors dept move",
    aliases: &["ambassadors dept region"],
    role: Role::Office,
    usage: "ambassadors dept move <name> to <region>",
    example: "ambassadors dept move Finance to Americas",
    help: Some("move a department to another region"),
    parse: |i| {
        let (name, region) = two_names(
            i.args(),
            &["to", "into"],
            DEPT_MOVE.usage,
            "the department and its new region",
        )?;
        Ok(Some(Command::DeptMove { name, region }))
    },
    is: |c| matches!(c, Command::DeptMove { .. }),
};

pub(super) const DEPT_HEADCOUNT: CommandSpec = CommandSpec {
    name: "ambassadors dept headcount",
    aliases: &["ambassadors dept size|people"],
    role: Role::Office,
    usage: "ambassadors dept headcount <name> <number|none>",
    example: "ambassadors dept headcount Finance 85",
    help: Some("set (or clear) how many people a department has"),
    parse: |i| {
        let Some((last, before)) = i.args().split_last().filter(|(_, b)| !b.is_empty()) else {
            return Err(i.error("Give the department and its headcount."));
        };
        let value = match last.text.to_lowercase().as_str() {
            "none" | "unknown" | "-" | "clear" => None,
            t => Some(headcount(t, DEPT_HEADCOUNT.usage)?),
        };
        Ok(Some(Command::DeptHeadcount {
            name: join(before),
            headcount: value,
        }))
    },
    is: |c| matches!(c, Command::DeptHeadcount { .. }),
};

pub(super) const DEPT_REMOVE: CommandSpec = CommandSpec {
    name: "ambassadors dept remove",
    aliases: &["ambassadors dept delete|rm"],
    role: Role::Office,
    usage: "ambassadors dept remove <name>",
    example: "ambassadors dept remove Legal",
    help: Some("remove a department that has no ambassadors"),
    parse: |i| {
        let name = joined(i.args()).ok_or_else(|| i.error("Which department should I remove?"))?;
        Ok(Some(Command::DeptRemove { name }))
    },
    is: |c| matches!(c, Command::DeptRemove { .. }),
};

pub(super) const ADD: CommandSpec = CommandSpec {
    name: "ambassadors add",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors add @person <department> [time zone]",
    example: "ambassadors add @ada \"Platform Engineering\" Europe/Berlin",
    help: Some("make someone the ambassador of a department"),
    parse: |i| {
        let (person, rest) = person_first(
            i.args(),
            ADD.usage,
            "Who should become an ambassador, and of which department?",
        )?;
        let rest = match rest.split_first() {
            Some((w, r))
                if !w.quoted && matches!(w.text.to_lowercase().as_str(), "to" | "in" | "for") =>
            {
                r
            }
            _ => rest,
        };
        let (names, time_zone) = match rest.split_last() {
            Some((last, before))
                if !before.is_empty() && !last.quoted && looks_like_time_zone(&last.text) =>
            {
                (before, Some(last.text.clone()))
            }
            _ => (rest, None),
        };
        let department =
            joined(names).ok_or_else(|| i.error("Which department will they represent?"))?;
        Ok(Some(Command::Add {
            person,
            department,
            time_zone,
        }))
    },
    is: |c| matches!(c, Command::Add { .. }),
};

pub(super) const REMOVE: CommandSpec = CommandSpec {
    name: "ambassadors remove",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors remove @person",
    example: "ambassadors remove @ada",
    help: Some("take someone off the roster"),
    parse: |i| {
        Ok(Some(Command::Remove {
            person: i.one_person()?,
        }))
    },
    is: |c| matches!(c, Command::Remove { .. }),
};

pub(super) const PAUSE: CommandSpec = CommandSpec {
    name: "ambassadors pause",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors pause @person",
    example: "ambassadors pause @ada",
    help: Some("pause an ambassador (leave, busy quarter)"),
    parse: |i| {
        Ok(Some(Command::Pause {
            person: i.one_person()?,
        }))
    },
    is: |c| matches!(c, Command::Pause { .. }),
};

pub(super) const RESUME: CommandSpec = CommandSpec {
    name: "ambassadors resume",
    aliases: &[],
    role: Role::Office,
    usage: "ambassadors resume @person",
    example: "ambassadors resume @ada",
    help: Some("make a paused ambassador active again"),
    parse: |i| {
        Ok(Some(Command::Resume {
            person: i.one_person()?,
        }))
    },
    is: |c| matches!(c, Command::Resume { .. }),
};

fn looks_numeric(t: &str) -> bool {
    let t = t.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '_' || c == '.')
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn headcount(t: &str, usage: &'static str) -> PResult<u32> {
    let digits: String = t.chars().filter(|c| !matches!(c, ',' | '_')).collect();
    match digits.parse::<u32>() {
        Ok(n) if n <= 10_000_000 => Ok(n),
        _ => Err(ParseError::new(
            format!("`{t}` is not a headcount: write a whole number from 0 to 10,000,000."),
            &[usage],
        )),
    }
}

fn looks_like_time_zone(t: &str) -> bool {
    let upper = t.to_ascii_uppercase();
    (t.contains('/') && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        || upper == "UTC"
        || upper == "GMT"
}

/// Two names: exactly two words (quoted as needed), or words around a separator (`to`, `in` …).
fn two_names(
    tokens: &[Token],
    separators: &[&str],
    usage: &'static str,
    what: &str,
) -> PResult<(String, String)> {
    if let Some(i) = tokens
        .iter()
        .position(|t| !t.quoted && separators.contains(&t.text.to_lowercase().as_str()))
        .filter(|&i| i > 0 && i + 1 < tokens.len())
    {
        return Ok((join(&tokens[..i]), join(&tokens[i + 1..])));
    }
    match tokens {
        [a, b] => Ok((a.text.clone(), b.text.clone())),
        [] | [_] => Err(ParseError::new(format!("Give {what}."), &[usage])),
        _ => Err(ParseError::new(
            format!("Put names of several words in quotes, so I can tell {what} apart."),
            &[usage],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::testing::*;
    use super::*;

    #[test]
    fn dept_add_with_quotes_separator_and_headcount() {
        let want = Command::DeptAdd {
            name: "Platform Engineering".into(),
            region: "EMEA".into(),
            headcount: Some(1200),
        };
        assert_eq!(
            ok(r#"/ambassadors dept add "Platform Engineering" EMEA 1,200"#),
            want
        );
        assert_eq!(
            ok("/ambassadors dept add Platform Engineering in EMEA 1200"),
            want
        );
        assert_eq!(
            ok("/ambassadors department add Legal \"North America\""),
            Command::DeptAdd {
                name: "Legal".into(),
                region: "North America".into(),
                headcount: None
            }
        );
        assert!(
            err("/ambassadors dept add Platform Engineering EMEA")
                .message
                .contains("quotes")
        );
        assert!(
            err("/ambassadors dept add Legal EMEA -5")
                .message
                .contains("headcount")
        );
        assert!(
            err("/ambassadors dept add Legal")
                .message
                .contains("region")
        );
    }

    #[test]
    fn dept_rename_move_headcount_remove() {
        assert_eq!(
            ok("/ambassadors dept rename Platform Eng to \"Platform Engineering\""),
            Command::DeptRename {
                name: "Platform Eng".into(),
                new_name: "Platform Engineering".into()
            }
        );
        assert_eq!(
            ok("/ambassadors dept move Finance to North America"),
            Command::DeptMove {
                name: "Finance".into(),
                region: "North America".into()
            }
        );
        assert_eq!(
            ok("/ambassadors dept headcount Data Science 85"),
            Command::DeptHeadcount {
                name: "Data Science".into(),
                headcount: Some(85)
            }
        );
        assert_eq!(
            ok("/ambassadors dept headcount Legal none"),
            Command::DeptHeadcount {
                name: "Legal".into(),
                headcount: None
            }
        );
        assert_eq!(
            ok("/ambassadors dept remove Data Science"),
            Command::DeptRemove {
                name: "Data Science".into()
            }
        );
        assert_eq!(err("/ambassadors dept").usage.len(), 5);
    }

    #[test]
    fn add_with_department_and_time_zone() {
        assert_eq!(
            ok("/ambassadors add @ada to Platform Engineering Europe/Berlin"),
            Command::Add {
                person: m("ada"),
                department: "Platform Engineering".into(),
                time_zone: Some("Europe/Berlin".into())
            }
        );
        assert_eq!(
            ok("/ambassadors add <@U1> Finance"),
            Command::Add {
                person: m("U1"),
                department: "Finance".into(),
                time_zone: None
            }
        );
        assert!(
            err("/ambassadors add ada Finance")
                .message
                .contains("@name")
        );
        assert!(err("/ambassadors add @ada").message.contains("department"));
    }

    #[test]
    fn roster_changes_take_one_person() {
        assert_eq!(
            ok("/ambassadors pause @ada"),
            Command::Pause { person: m("ada") }
        );
        assert_eq!(
            ok("/ambassadors resume @ada"),
            Command::Resume { person: m("ada") }
        );
        assert_eq!(
            ok("/ambassadors remove @ada"),
            Command::Remove { person: m("ada") }
        );
        assert!(err("/ambassadors remove").message.contains("@person"));
        assert!(err("/ambassadors pause @ada @bob").message.contains("one"));
    }
}
