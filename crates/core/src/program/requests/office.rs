//! The office's side of requests: the list, one request, replies, taking it, its status and labels.

use super::*;

impl<S: Store, C: Clock> Program<S, C> {
    /// `ambassadors requests …`
    pub(crate) async fn requests_view(&self, caller: &Caller, q: &RequestsQuery) -> Outcome {
        let office = caller.role == crate::command::Role::Office;
        let scope = match &q.scope {
            Some(name) if office => Some(self.scope(caller, name).await?),
            Some(_) => {
                return Err(refuse(
                    Rich::text("You see your own requests: ")
                        .and_code(caller.cmd("ambassadors requests mine")),
                ));
            }
            None => None,
        };
        let mine_only = q.mine || !office;
        let mut list = self
            .store
            .requests(&RequestFilter {
                ambassador: (!office).then_some(caller.person.id),
                open_only: !q.all && q.status.is_none(),
            })
            .await?;
        let me = &caller.person.account;
        list.retain(|r| {
            (!mine_only
                || r.ambassador.account == *me
                || r.owner.as_ref().is_some_and(|o| o.account == *me))
                && q.status.is_none_or(|s| r.status == s)
                && q.label.as_ref().is_none_or(|l| r.labels.contains(l))
                && match &scope {
                    None => true,
                    Some(Scope::Region(region)) => name_key(&r.region) == name_key(region),
                    Some(Scope::Department(d)) => name_key(&r.department) == name_key(&d.name),
                }
        });
        if q.oldest_first {
            list.sort_by_key(|r| (r.created_at, r.id));
        }
        let mut what = Vec::new();
        if let Some(s) = q.status {
            what.push(s.label().to_string());
        } else if !q.all {
            what.push("open".to_string());
        }
        if let Some(l) = &q.label {
            what.push(format!("#{l}"));
        }
        let whose = if !office {
            "Your requests".to_string()
        } else if q.mine {
            "Your requests (taken or asked)".to_string()
        } else {
            "Requests".to_string()
        };
        let mut title = format!(
            "{whose}{}",
            match what.is_empty() {
                true => String::new(),
                false => format!(" — {}", what.join(", ")),
            }
        );
        if let Some(s) = &scope {
            title.push_str(&format!(" — {}", s.label()));
        }
        if list.is_empty()
            && !office
            && caller.ambassador.is_none()
            && (q.all || {
                self.store
                    .requests(&RequestFilter {
                        ambassador: Some(caller.person.id),
                        open_only: false,
                    })
                    .await?
                    .is_empty()
            })
        {
            return Err(refuse(
                Rich::text("Requests come from ambassadors, and you have none. To reach the program office, ask your department's ambassador: ")
                    .and_code(caller.cmd("ambassadors who <your department>")),
            ));
        }
        if list.is_empty() {
            let hint = if office {
                Rich::text("All requests, closed ones too: ")
                    .and_code(caller.cmd("ambassadors requests all"))
            } else {
                Rich::text("Ask the program office for something: ")
                    .and_code(caller.cmd("ambassadors ask <what you need>"))
                    .and(", or answer the check-in's question about what you need. Closed ones too: ")
                    .and_code(caller.cmd("ambassadors requests all"))
            };
            return Ok(vec![Reply::caller(
                Message::new()
                    .heading(title)
                    .paragraph("None.")
                    .context(hint),
            )]);
        }
        let now = self.clock.now();
        if q.grouped {
            return Ok(vec![Reply::caller(
                self.grouped_view(caller, title, &list, now),
            )]);
        }
        let mut m = Message::new().heading(format!("{title} ({})", list.len()));
        for r in list.iter().take(LIST_MAX) {
            m = m.paragraph(self.request_line(r, now, office));
            if office && r.status.is_open() {
                m.blocks.extend(office_buttons(r.id).blocks);
            }
        }
        if list.len() > LIST_MAX {
            m = m.paragraph(format!(
                "… and {} more; narrow it with a region, a department, a status or a #label.",
                list.len() - LIST_MAX
            ));
        }
        let context = if office {
            Rich::new()
                .and_code(caller.cmd("ambassadors request N"))
                .and(" shows one with its thread · ")
                .and_code(caller.cmd("ambassadors reply N <text>"))
                .and(" · ")
                .and_code(caller.cmd("ambassadors take N"))
                .and(" · ")
                .and_code(caller.cmd("ambassadors status N done [note]"))
                .and(" · ")
                .and_code(caller.cmd("ambassadors requests --grouped"))
        } else {
            Rich::new()
                .and_code(caller.cmd("ambassadors request N"))
                .and(" shows one with its thread · ")
                .and_code(caller.cmd("ambassadors reply N <text>"))
                .and(" answers the office · ")
                .and_code(caller.cmd("ambassadors requests all"))
                .and(" closed ones too")
        };
        Ok(vec![Reply::caller(m.context(context))])
    }

    /// One request as a line of a list.
    pub(super) fn request_line(&self, r: &Request, now: DateTime<Utc>, office: bool) -> Rich {
        let tz = self.settings.time_zone;
        let mut line = Rich::strong(format!("#{}", r.id)).and(format!(
            " · {} · asked {} ({}) · {} ({})",
            r.status.label(),
            r.created_at.with_timezone(&tz).date_naive(),
            ago(now - r.created_at),
            r.department,
            r.region
        ));
        if office {
            line = line.and(" · ").and_mention(&r.ambassador);
        }
        line = line.and(": ").and_em(gist(&r.text, 200));
        if !r.labels.is_empty() {
            line = line.and(format!(
                " [{}]",
                r.labels
                    .iter()
                    .map(|l| format!("#{l}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        if let Some(owner) = &r.owner {
            line = line.and(" · owner ").and_mention(owner);
        }
        if let Some(note) = &r.note
            && !r.status.is_open()
        {
            line = line.and(format!(" · note: {}", gist(note, 120)));
        }
        line
    }

    /// Requests grouped by label: how many departments share each need, and the oldest one.
    pub(super) fn grouped_view(
        &self,
        caller: &Caller,
        title: String,
        list: &[Request],
        now: DateTime<Utc>,
    ) -> Message {
        let mut groups: BTreeMap<&str, Vec<&Request>> = BTreeMap::new();
        let mut unlabelled: Vec<&Request> = Vec::new();
        for r in list {
            if r.labels.is_empty() {
                unlabelled.push(r);
            }
            for l in &r.labels {
                groups.entry(l.as_str()).or_default().push(r);
            }
        }
        let line = |name: Rich, rs: &[&Request]| -> Rich {
            let mut departments: Vec<&str> = Vec::new();
            for r in rs {
                if !departments
                    .iter()
                    .any(|d| name_key(d) == name_key(&r.department))
                {
                    departments.push(&r.department);
                }
            }
            departments.sort_by_key(|d| name_key(d));
            let oldest = rs.iter().map(|r| r.created_at).min().unwrap_or(now);
            let ids: Vec<String> = rs.iter().map(|r| format!("#{}", r.id)).collect();
            let shown: Vec<&str> = departments.iter().take(5).copied().collect();
            let more = if departments.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            name.and(format!(
                ": {} ({}{more}), oldest {} · {}",
                count(departments.len() as u64, "department", "departments"),
                shown.join(", "),
                human_duration(now - oldest),
                ids.join(" ")
            ))
        };
        // The widest needs first: most departments, then most requests.
        let mut ordered: Vec<(&str, Vec<&Request>)> = groups.into_iter().collect();
        ordered.sort_by_key(|(l, rs)| {
            let mut d: Vec<String> = rs.iter().map(|r| name_key(&r.department)).collect();
            d.sort();
            d.dedup();
            (
                std::cmp::Reverse(d.len()),
                std::cmp::Reverse(rs.len()),
                l.to_string(),
            )
        });
        let mut items: Vec<Rich> = ordered
            .iter()
            .map(|(l, rs)| line(Rich::strong(l.to_string()), rs))
            .collect();
        if !unlabelled.is_empty() {
            items.push(line(Rich::text("no label"), &unlabelled));
        }
        Message::new()
            .heading(format!("{title}, grouped by label"))
            .list(items)
            .context(
                Rich::text("File one under a label: ")
                    .and_code(caller.cmd("ambassadors label N <label>"))
                    .and(" (a #tag in the request counts too)."),
            )
    }

    /// `ambassadors request N`
    pub(crate) async fn request_show(&self, caller: &Caller, id: RequestId) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        let tz = self.settings.time_zone;
        let thread = self.store.request_messages(id).await?;
        let mut fields = vec![
            ("From".to_string(), Rich::new().and_mention(&r.ambassador)),
            (
                "Department".to_string(),
                Rich::text(format!("{} ({})", r.department, r.region)),
            ),
            (
                "Asked".to_string(),
                Rich::text(match r.round {
                    Some(round) => format!(
                        "{} (check-in of {round})",
                        r.created_at.with_timezone(&tz).date_naive()
                    ),
                    None => r.created_at.with_timezone(&tz).date_naive().to_string(),
                }),
            ),
        ];
        if let Some(owner) = &r.owner {
            fields.push(("Owner".to_string(), Rich::new().and_mention(owner)));
        }
        if !r.labels.is_empty() {
            fields.push(("Labels".to_string(), Rich::text(r.labels.join(", "))));
        }
        if let Some(note) = &r.note {
            fields.push(("Note".to_string(), Rich::text(note.clone())));
        }
        let mut m = Message::new()
            .heading(format!("Request #{id} — {}", r.status.label()))
            .paragraph(Rich::new().and_em(r.text.clone()))
            .fields(fields);
        if thread.is_empty() {
            m = m.paragraph("No messages yet.");
        } else {
            m = m.list(
                thread
                    .iter()
                    .map(|t| {
                        Rich::text(format!(
                            "{} ",
                            t.at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                        ))
                        .and_mention(&t.author)
                        .and(if t.from_office { " (office): " } else { ": " })
                        .and(t.text.clone())
                    })
                    .collect(),
            );
        }
        let context = if Self::as_office(caller, &r) && r.status.is_open() {
            m.blocks.extend(office_buttons(id).blocks);
            office_commands(|c| caller.cmd(c), id)
        } else {
            Rich::text("Write in the thread: ")
                .and_code(caller.cmd(&format!("ambassadors reply {id} <text>")))
        };
        Ok(vec![Reply::caller(m.context(context))])
    }

    /// The messages that tell the other side of a request about something: to its ambassador when
    /// the office acts, else to its owner (or the whole office when nobody took it).
    pub(super) fn tell(
        &self,
        r: &Request,
        from_office: bool,
        key: &str,
        m: impl Fn(&Account) -> Message,
    ) -> Vec<Outgoing> {
        let to: Vec<Account> = if from_office {
            vec![r.ambassador.account.clone()]
        } else {
            match &r.owner {
                Some(owner) => vec![owner.account.clone()],
                None => self.settings.office.clone(),
            }
        };
        to.iter()
            .map(|a| dm(format!("{key}:{a}"), a, m(a)))
            .collect()
    }

    /// `ambassadors reply N <text>`
    pub(crate) async fn request_reply(
        &self,
        caller: &Caller,
        id: RequestId,
        text: &str,
    ) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        let text = self.check_request_text(text, "reply")?;
        let office = Self::as_office(caller, &r);
        let author = caller.person.as_ref();
        let at = self.clock.now();
        let key = format!(
            "request:{id}:reply:{}:{}",
            caller.person.id,
            at.timestamp_micros()
        );
        let notices = self.tell(&r, office, &key, |to| {
            if office {
                Message::new()
                    .heading(format!("The program office answered your request #{id}"))
                    .paragraph(Rich::text("You asked: ").and_em(gist(&r.text, 200)))
                    .paragraph(Rich::new().and_mention(&author).and(": ").and(text.clone()))
                    .context(
                        Rich::text("Answer back: ")
                            .and_code(to.command(&format!("ambassadors reply {id} <text>"))),
                    )
            } else {
                let mut m = Message::new()
                    .heading(format!("Request #{id}: an answer from its ambassador"))
                    .paragraph(
                        Rich::new()
                            .and_mention(&author)
                            .and(format!(" ({}, {}): ", r.department, r.region))
                            .and(text.clone()),
                    )
                    .paragraph(Rich::text("Their request: ").and_em(gist(&r.text, 200)));
                m.blocks.extend(office_buttons(id).blocks);
                m.context(office_commands(|c| to.command(c), id))
            }
        });
        let after = self
            .store
            .add_request_message(id, caller.person.id, office, &text, at, &notices)
            .await?;
        let who = if office {
            Rich::new().and_mention(&r.ambassador)
        } else if r.owner.is_some() {
            Rich::new().and_mention(r.owner.as_ref().expect("checked"))
        } else {
            Rich::text("the program office")
        };
        let mut reply = Rich::text(format!("Sent on request #{id} to "));
        reply.0.extend(who.0);
        reply = reply.and(" by direct message.");
        if office && r.status == RequestStatus::New && after.status == RequestStatus::Acknowledged {
            reply = reply.and(" The request is now acknowledged.");
        }
        Ok(vec![Reply::caller(Message::text(reply))])
    }

    /// `ambassadors take N`
    pub(crate) async fn request_take(&self, caller: &Caller, id: RequestId) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        if !r.status.is_open() {
            return Err(refuse(
                Rich::text(format!(
                    "Request #{id} is {} already. To open it again: ",
                    r.status.label()
                ))
                .and_code(caller.cmd(&format!("ambassadors status {id} in-progress"))),
            ));
        }
        if r.owner
            .as_ref()
            .is_some_and(|o| o.account == caller.person.account)
            && r.status == RequestStatus::InProgress
        {
            return Err(refuse(format!(
                "Request #{id} is yours already, and in progress."
            )));
        }
        let me = caller.person.as_ref();
        let at = self.clock.now();
        let key = format!(
            "request:{id}:take:{}:{}",
            caller.person.id,
            at.timestamp_micros()
        );
        let notices = self.tell(&r, true, &key, |to| {
            Message::text(
                Rich::new()
                    .and_mention(&me)
                    .and(format!(
                        " of the program office is taking care of your request #{id}: “{}”. You will hear how it goes.",
                        gist(&r.text, 120)
                    )),
            )
            .context(
                Rich::text("Add something: ")
                    .and_code(to.command(&format!("ambassadors reply {id} <text>"))),
            )
        });
        let before_owner = r.owner.clone();
        self.store
            .update_request(
                id,
                &RequestChange {
                    status: Some(RequestStatus::InProgress),
                    owner: Some(caller.person.id),
                    ..RequestChange::default()
                },
                at,
                &notices,
            )
            .await?;
        let mut text = Rich::text(format!("Request #{id} is yours and in progress"));
        if let Some(previous) = before_owner.filter(|o| o.account != caller.person.account) {
            text = text.and(" (it was ").and_mention(&previous).and("'s)");
        }
        text = text
            .and("; ")
            .and_mention(&r.ambassador)
            .and(" is told by direct message.");
        Ok(vec![Reply::caller(Message::text(text))])
    }

    /// `ambassadors status N <status> [note]`
    pub(crate) async fn request_status(
        &self,
        caller: &Caller,
        id: RequestId,
        status: RequestStatus,
        note: Option<&str>,
    ) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        if status == RequestStatus::New {
            return Err(refuse(
                "A request cannot go back to new: it has been seen. Use acknowledged, in-progress, done or declined.",
            ));
        }
        let note = match note {
            Some(n) => Some(self.check_request_text(n, "note")?),
            None => None,
        };
        if status == RequestStatus::Declined && note.is_none() {
            return Err(refuse(
                Rich::text("Say why it is declined: the ambassador is told. ")
                    .and_code(caller.cmd(&format!("ambassadors status {id} declined <why>"))),
            ));
        }
        if r.status == status && note.is_none() {
            return Err(refuse(format!(
                "Request #{id} is {} already.",
                status.label()
            )));
        }
        let at = self.clock.now();
        let key = format!(
            "request:{id}:status:{}:{}",
            status.as_str(),
            at.timestamp_micros()
        );
        let by = caller.person.as_ref();
        let notices = self.tell(&r, true, &key, |to| {
            let head = match status {
                RequestStatus::Done => format!("Your request #{id} is done"),
                RequestStatus::Declined => format!("Your request #{id} was declined"),
                RequestStatus::InProgress => format!("Your request #{id} is in progress"),
                _ => format!("The program office has read your request #{id}"),
            };
            let mut m = Message::new()
                .heading(head)
                .paragraph(Rich::text("You asked: ").and_em(gist(&r.text, 200)));
            if let Some(note) = &note {
                m = m.paragraph(
                    Rich::new()
                        .and_mention(&by)
                        .and(if status == RequestStatus::Declined {
                            " explains: "
                        } else {
                            ": "
                        })
                        .and(note.clone()),
                );
            } else {
                m = m.paragraph(
                    Rich::text("By ")
                        .and_mention(&by)
                        .and(" of the program office."),
                );
            }
            m.context(
                Rich::text("Answer or ask more: ")
                    .and_code(to.command(&format!("ambassadors reply {id} <text>"))),
            )
        });
        let closing = !status.is_open();
        self.store
            .update_request(
                id,
                &RequestChange {
                    status: Some(status),
                    note: if closing { note.clone() } else { None },
                    ..RequestChange::default()
                },
                at,
                &notices,
            )
            .await?;
        // An open status with a note: the note goes into the thread, where the ambassador sees it.
        if !closing && let Some(note) = &note {
            self.store
                .add_request_message(id, caller.person.id, true, note, at, &[])
                .await?;
        }
        Ok(vec![Reply::caller(Message::text(
            Rich::text(format!("Request #{id} is {}; ", status.label()))
                .and_mention(&r.ambassador)
                .and(" is told by direct message."),
        ))])
    }

    /// `ambassadors label N <label> …`
    pub(crate) async fn request_label(
        &self,
        caller: &Caller,
        id: RequestId,
        labels: &[String],
    ) -> Outcome {
        let r = self.visible_request(caller, id).await?;
        let new: Vec<String> = labels
            .iter()
            .filter(|l| !r.labels.contains(l))
            .cloned()
            .collect();
        if new.is_empty() {
            return Err(refuse(format!(
                "Request #{id} has that label already: {}.",
                r.labels.join(", ")
            )));
        }
        let after = self
            .store
            .update_request(
                id,
                &RequestChange {
                    add_labels: new,
                    ..RequestChange::default()
                },
                self.clock.now(),
                &[],
            )
            .await?;
        Ok(vec![Reply::caller(Message::text(
            Rich::text(format!(
                "Request #{id} is filed under {}. The same need across departments: ",
                after.labels.join(", ")
            ))
            .and_code(caller.cmd("ambassadors requests --grouped")),
        ))])
    }
}
