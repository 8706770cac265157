//! Conformance of requests (`RequestStore`): labels, listings, the office's changes, threads,
//! edits, overdue listing.

use super::*;

conformance! {
    everywhere: [
        requests_are_added_and_read_back_with_their_labels_once,
        requests_are_listed_newest_first_by_ambassador_and_openness,
        request_updates_answer_once_close_reopen_and_label,
        request_messages_from_the_office_acknowledge_and_threads_are_in_order,
        requests_are_edited_only_while_nobody_answered,
        overdue_requests_are_listed_once_through_the_effects,
    ],
    sql_only: [],
}

fn ids(requests: &[Request]) -> Vec<i64> {
    requests.iter().map(|r| r.id).collect()
}

fn new_request(ambassador: &Person, round: Option<NaiveDate>, text: &str) -> NewRequest {
    NewRequest {
        ambassador: ambassador.id,
        department: "Finance".to_owned(),
        region: "EMEA".to_owned(),
        round,
        text: text.to_owned(),
        labels: vec![],
        created_at: at(2024, 5, 6, 9, 0, 0),
    }
}

async fn add_quietly(store: &impl Store, new: &NewRequest) -> Request {
    store.add_request(new, &|_| Vec::new()).await.unwrap()
}

async fn requests_are_added_and_read_back_with_their_labels_once<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let office = Account::new(Platform::Matrix, "@ispo:example.org");
    let round = date(2024, 5, 6);
    // An instant finer than a microsecond is kept to the microsecond on both back-ends.
    let created_at = at(2024, 5, 6, 9, 30, 0) + Duration::nanoseconds(7_001);
    let new = NewRequest {
        labels: vec![
            "CI-Sponsor".to_owned(),
            "#budget".to_owned(),
            "ci-sponsor".to_owned(),
            " ".to_owned(),
        ],
        created_at,
        ..new_request(&ada, Some(round), "A CI sponsor for the #budget review")
    };
    let added = store
        .add_request(&new, &|id| vec![dm(&format!("request:{id}:new"), &office)])
        .await
        .unwrap();
    assert_eq!(added.ambassador, ada.as_ref());
    assert_eq!(added.department, "Finance");
    assert_eq!(added.region, "EMEA");
    assert_eq!(added.round, Some(round));
    assert_eq!(added.text, "A CI sponsor for the #budget review");
    assert_eq!(added.status, RequestStatus::New);
    assert_eq!(added.owner, None);
    assert_eq!(added.labels, ["budget", "ci-sponsor"]);
    assert_eq!(
        added.created_at,
        at(2024, 5, 6, 9, 30, 0) + Duration::microseconds(7)
    );
    assert_eq!(
        (
            added.first_answer_at,
            added.closed_at,
            added.note.clone(),
            added.overdue_listed_at
        ),
        (None, None, None, None)
    );
    assert_eq!(store.request(added.id).await.unwrap(), Some(added.clone()));
    assert_eq!(store.request(added.id + 100).await.unwrap(), None);
    // The notice names the number, and is queued with the request.
    assert_eq!(
        pending_keys(&store).await,
        [format!("request:{}:new", added.id)]
    );

    // One request per ambassador and round: the second conflicts and queues nothing.
    assert!(matches!(
        store
            .add_request(&new_request(&ada, Some(round), "again"), &|id| {
                vec![dm(&format!("request:{id}:again"), &office)]
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(pending_keys(&store).await.len(), 1);
    // Another round, and any number of requests asked outside a round.
    let next_round = add_quietly(&store, &new_request(&ada, Some(date(2024, 5, 13)), "b")).await;
    let asked = add_quietly(&store, &new_request(&ada, None, "c")).await;
    let asked_again = add_quietly(&store, &new_request(&ada, None, "d")).await;
    assert_eq!(asked.round, None);
    assert_eq!(asked.labels, Vec::<String>::new());
    assert_eq!(
        ids(&store.requests(&RequestFilter::default()).await.unwrap()),
        [asked_again.id, asked.id, next_round.id, added.id]
    );

    // An unknown ambassador: nothing recorded, nothing queued.
    let ghost = Person {
        id: ada.id + 1000,
        ..ada.clone()
    };
    assert!(matches!(
        store
            .add_request(&new_request(&ghost, None, "who?"), &|id| {
                vec![dm(&format!("request:{id}:ghost"), &office)]
            })
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(pending_keys(&store).await.len(), 1);
    assert_eq!(
        store
            .requests(&RequestFilter::default())
            .await
            .unwrap()
            .len(),
        4
    );
}

async fn requests_are_listed_newest_first_by_ambassador_and_openness<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let grace = person(&store, "U2", "Grace").await;
    let office = person(&store, "U3", "Office").await;
    let now = at(2024, 5, 7, 10, 0, 0);
    let first = add_quietly(&store, &new_request(&ada, None, "one")).await;
    let second = add_quietly(&store, &new_request(&grace, None, "two")).await;
    let third = add_quietly(&store, &new_request(&ada, None, "three")).await;
    let fourth = add_quietly(&store, &new_request(&grace, None, "four")).await;
    let fifth = add_quietly(&store, &new_request(&ada, None, "five")).await;
    let status = |status| RequestChange {
        status: Some(status),
        ..RequestChange::default()
    };
    // Acknowledged and in progress are still open; done and declined are not.
    store
        .update_request(first.id, &status(RequestStatus::Done), now, &[])
        .await
        .unwrap();
    store
        .update_request(fourth.id, &status(RequestStatus::Declined), now, &[])
        .await
        .unwrap();
    store
        .update_request(third.id, &status(RequestStatus::InProgress), now, &[])
        .await
        .unwrap();
    store
        .add_request_message(second.id, office.id, true, "Seen", now, &[])
        .await
        .unwrap();

    let all = store.requests(&RequestFilter::default()).await.unwrap();
    assert_eq!(
        ids(&all),
        [fifth.id, fourth.id, third.id, second.id, first.id]
    );
    assert_eq!(all[1].labels, Vec::<String>::new());
    let open = RequestFilter {
        open_only: true,
        ..RequestFilter::default()
    };
    assert_eq!(
        ids(&store.requests(&open).await.unwrap()),
        [fifth.id, third.id, second.id]
    );
    let adas = RequestFilter {
        ambassador: Some(ada.id),
        ..RequestFilter::default()
    };
    assert_eq!(
        ids(&store.requests(&adas).await.unwrap()),
        [fifth.id, third.id, first.id]
    );
    let adas_open = RequestFilter {
        ambassador: Some(ada.id),
        open_only: true,
    };
    assert_eq!(
        ids(&store.requests(&adas_open).await.unwrap()),
        [fifth.id, third.id]
    );
    let nobodys = RequestFilter {
        ambassador: Some(office.id),
        ..RequestFilter::default()
    };
    assert_eq!(store.requests(&nobodys).await.unwrap(), []);
    // What the list says is what each request says.
    for request in &all {
        assert_eq!(
            store.request(request.id).await.unwrap().as_ref(),
            Some(request)
        );
    }
}

async fn request_updates_answer_once_close_reopen_and_label<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let office = person(&store, "U3", "Office").await;
    let lead = person(&store, "U4", "Lead").await;
    let new = NewRequest {
        labels: vec!["ci".to_owned()],
        ..new_request(&ada, None, "A CI sponsor")
    };
    let request = add_quietly(&store, &new).await;
    let t1 = at(2024, 5, 7, 10, 0, 0) + Duration::microseconds(3);
    let t2 = at(2024, 5, 8, 10, 0, 0);
    let t3 = at(2024, 5, 9, 10, 0, 0);
    let t4 = at(2024, 5, 10, 10, 0, 0);

    // Labels alone are the office's filing: no answer. Each label once, lowercase.
    let labelled = store
        .update_request(
            request.id,
            &RequestChange {
                add_labels: vec!["Budget".to_owned(), "ci".to_owned(), "budget".to_owned()],
                ..RequestChange::default()
            },
            t1,
            &[dm("labelled", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(labelled.labels, ["budget", "ci"]);
    assert_eq!(labelled.status, RequestStatus::New);
    assert_eq!(labelled.first_answer_at, None);

    // Taking it is an answer: the owner and the first answer's instant.
    let taken = store
        .update_request(
            request.id,
            &RequestChange {
                owner: Some(office.id),
                ..RequestChange::default()
            },
            t1,
            &[dm("taken", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(taken.owner, Some(office.as_ref()));
    assert_eq!(taken.first_answer_at, Some(t1));
    assert_eq!(
        taken.status,
        RequestStatus::New,
        "taking it keeps its status"
    );
    assert_eq!(taken.closed_at, None);

    // A status later keeps the first answer's instant; a new owner replaces the old one.
    let acknowledged = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Acknowledged),
                owner: Some(lead.id),
                ..RequestChange::default()
            },
            t2,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(acknowledged.status, RequestStatus::Acknowledged);
    assert_eq!(acknowledged.owner, Some(lead.as_ref()));
    assert_eq!(acknowledged.first_answer_at, Some(t1));
    assert_eq!(acknowledged.closed_at, None);

    // Done with a note: closed now; the owner stays when not changed.
    let done = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Done),
                note: Some("Sponsored by the CTO".to_owned()),
                add_labels: vec!["ci".to_owned(), "#sponsor".to_owned()],
                ..RequestChange::default()
            },
            t3,
            &[dm("done", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(done.status, RequestStatus::Done);
    assert_eq!(done.closed_at, Some(t3));
    assert_eq!(done.note.as_deref(), Some("Sponsored by the CTO"));
    assert_eq!(done.owner, Some(lead.as_ref()));
    assert_eq!(done.first_answer_at, Some(t1));
    assert_eq!(done.labels, ["budget", "ci", "sponsor"]);

    // A note alone changes neither the status nor when it closed.
    let noted = store
        .update_request(
            request.id,
            &RequestChange {
                note: Some("Sponsored by the CTO, from June".to_owned()),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(noted.status, RequestStatus::Done);
    assert_eq!(noted.closed_at, Some(t3));
    assert_eq!(
        noted.note.as_deref(),
        Some("Sponsored by the CTO, from June")
    );

    // Done again with an amended note: it closed when it first became done.
    let amended = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Done),
                note: Some("Sponsored by the CTO, from June".to_owned()),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(amended.closed_at, Some(t3));

    // Reopened: no longer closed; the note is kept until replaced.
    let reopened = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::InProgress),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reopened.status, RequestStatus::InProgress);
    assert_eq!(reopened.closed_at, None);
    assert_eq!(reopened.first_answer_at, Some(t1));
    assert_eq!(
        reopened.note.as_deref(),
        Some("Sponsored by the CTO, from June")
    );
    // Declined: closed again, at that instant.
    let declined = store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::Declined),
                note: Some("No budget this year".to_owned()),
                ..RequestChange::default()
            },
            t4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(declined.closed_at, Some(t4));
    assert_eq!(declined.note.as_deref(), Some("No budget this year"));
    assert_eq!(store.request(request.id).await.unwrap(), Some(declined));

    // Unknown request or owner: nothing changes, nothing is queued.
    assert!(matches!(
        store
            .update_request(
                request.id + 100,
                &RequestChange::default(),
                t4,
                &[dm("lost", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let before = store.request(request.id).await.unwrap();
    assert!(matches!(
        store
            .update_request(
                request.id,
                &RequestChange {
                    status: Some(RequestStatus::Done),
                    owner: Some(ada.id + 1000),
                    ..RequestChange::default()
                },
                t4,
                &[dm("ghost-owner", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.request(request.id).await.unwrap(), before);
    assert_eq!(pending_keys(&store).await, ["done", "labelled", "taken"]);
}

async fn request_messages_from_the_office_acknowledge_and_threads_are_in_order<S: Store + Clone>(
    store: S,
) {
    let ada = person(&store, "U1", "Ada").await;
    let office = person(&store, "U3", "Office").await;
    let request = add_quietly(&store, &new_request(&ada, None, "A CI sponsor")).await;
    let t1 = at(2024, 5, 7, 10, 0, 0);
    let t2 = at(2024, 5, 8, 10, 0, 0) + Duration::microseconds(9);
    let t3 = at(2024, 5, 9, 10, 0, 0);

    // The ambassador adds to their own request: not an answer.
    let own = store
        .add_request_message(request.id, ada.id, false, "Any news?", t1, &[])
        .await
        .unwrap();
    assert_eq!(own.status, RequestStatus::New);
    assert_eq!(own.first_answer_at, None);

    // The office answers: acknowledged, first answered now; the ambassador is told with it.
    let answered = store
        .add_request_message(
            request.id,
            office.id,
            true,
            "We are on it",
            t2,
            &[dm("reply", &ada.account)],
        )
        .await
        .unwrap();
    assert_eq!(answered.status, RequestStatus::Acknowledged);
    assert_eq!(answered.first_answer_at, Some(t2));
    assert_eq!(pending_keys(&store).await, ["reply"]);

    // A later answer keeps the first instant and a status the office set.
    store
        .update_request(
            request.id,
            &RequestChange {
                status: Some(RequestStatus::InProgress),
                ..RequestChange::default()
            },
            t3,
            &[],
        )
        .await
        .unwrap();
    let later = store
        .add_request_message(request.id, office.id, true, "Half way", t3, &[])
        .await
        .unwrap();
    assert_eq!(later.status, RequestStatus::InProgress);
    assert_eq!(later.first_answer_at, Some(t2));

    let thread = store.request_messages(request.id).await.unwrap();
    let texts: Vec<(&str, bool, DateTime<Utc>)> = thread
        .iter()
        .map(|m| (m.text.as_str(), m.from_office, m.at))
        .collect();
    assert_eq!(
        texts,
        [
            ("Any news?", false, t1),
            ("We are on it", true, t2),
            ("Half way", true, t3)
        ]
    );
    assert_eq!(thread[0].author, ada.as_ref());
    assert_eq!(thread[1].author, office.as_ref());
    assert!(thread.iter().all(|m| m.request == request.id));

    // A thread of its own per request; an unknown request has none.
    let other = add_quietly(&store, &new_request(&ada, None, "Another")).await;
    assert_eq!(store.request_messages(other.id).await.unwrap(), []);
    assert_eq!(store.request_messages(other.id + 100).await.unwrap(), []);

    // Unknown request or author: nothing written, nothing queued.
    assert!(matches!(
        store
            .add_request_message(
                other.id + 100,
                office.id,
                true,
                "?",
                t3,
                &[dm("lost", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .add_request_message(
                other.id,
                ada.id + 1000,
                true,
                "?",
                t3,
                &[dm("ghost", &ada.account)]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let untouched = store.request(other.id).await.unwrap().unwrap();
    assert_eq!(untouched.status, RequestStatus::New);
    assert_eq!(untouched.first_answer_at, None);
    assert_eq!(store.request_messages(other.id).await.unwrap(), []);
    assert_eq!(pending_keys(&store).await, ["reply"]);
}

async fn requests_are_edited_only_while_nobody_answered<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let office = person(&store, "U3", "Office").await;
    let now = at(2024, 5, 7, 10, 0, 0);
    let new = NewRequest {
        labels: vec!["ci".to_owned(), "budget".to_owned()],
        ..new_request(&ada, Some(date(2024, 5, 6)), "A CI sponsor #ci #budget")
    };
    let request = add_quietly(&store, &new).await;

    // Unanswered: text and labels replaced.
    assert!(
        store
            .edit_request(
                request.id,
                "A CI sponsor and a runner #ci #Runners",
                &["Runners".to_owned(), "ci".to_owned()]
            )
            .await
            .unwrap()
    );
    let edited = store.request(request.id).await.unwrap().unwrap();
    assert_eq!(edited.text, "A CI sponsor and a runner #ci #Runners");
    assert_eq!(edited.labels, ["ci", "runners"]);
    assert_eq!(edited.status, RequestStatus::New);
    // Edited to no labels at all.
    assert!(
        store
            .edit_request(request.id, "Just a sponsor", &[])
            .await
            .unwrap()
    );
    assert_eq!(
        store.request(request.id).await.unwrap().unwrap().labels,
        Vec::<String>::new()
    );

    // A thread, even the ambassador's own message, ends the edits.
    let with_thread = add_quietly(&store, &new_request(&ada, None, "Thread")).await;
    store
        .add_request_message(with_thread.id, ada.id, false, "More details", now, &[])
        .await
        .unwrap();
    assert!(
        !store
            .edit_request(with_thread.id, "Changed", &["x".to_owned()])
            .await
            .unwrap()
    );
    // So does an answer that kept it new (taking it), and a status.
    let taken = add_quietly(&store, &new_request(&ada, None, "Taken")).await;
    store
        .update_request(
            taken.id,
            &RequestChange {
                owner: Some(office.id),
                ..RequestChange::default()
            },
            now,
            &[],
        )
        .await
        .unwrap();
    assert!(!store.edit_request(taken.id, "Changed", &[]).await.unwrap());
    let acknowledged = add_quietly(&store, &new_request(&ada, None, "Acked")).await;
    store
        .update_request(
            acknowledged.id,
            &RequestChange {
                status: Some(RequestStatus::Acknowledged),
                ..RequestChange::default()
            },
            now,
            &[],
        )
        .await
        .unwrap();
    assert!(
        !store
            .edit_request(acknowledged.id, "Changed", &[])
            .await
            .unwrap()
    );
    // Labels the office added alone do not end the edits (they are no answer), and the edit
    // replaces them too.
    let filed = add_quietly(&store, &new_request(&ada, None, "Filed")).await;
    store
        .update_request(
            filed.id,
            &RequestChange {
                add_labels: vec!["office".to_owned()],
                ..RequestChange::default()
            },
            now,
            &[],
        )
        .await
        .unwrap();
    assert!(
        store
            .edit_request(filed.id, "Filed again", &["mine".to_owned()])
            .await
            .unwrap()
    );
    assert_eq!(
        store.request(filed.id).await.unwrap().unwrap().labels,
        ["mine"]
    );
    for (id, text) in [
        (with_thread.id, "Thread"),
        (taken.id, "Taken"),
        (acknowledged.id, "Acked"),
    ] {
        let kept = store.request(id).await.unwrap().unwrap();
        assert_eq!(kept.text, text);
        assert_eq!(kept.labels, Vec::<String>::new());
    }
    assert!(matches!(
        store.edit_request(request.id + 100, "?", &[]).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn overdue_requests_are_listed_once_through_the_effects<S: Store + Clone>(store: S) {
    let ada = person(&store, "U1", "Ada").await;
    let first = add_quietly(&store, &new_request(&ada, None, "one")).await;
    let second = add_quietly(&store, &new_request(&ada, None, "two")).await;
    let third = add_quietly(&store, &new_request(&ada, None, "three")).await;
    let listed = at(2024, 5, 13, 8, 0, 0) + Duration::microseconds(11);
    // The Monday summary lists two (and an unknown number, which changes nothing), with its
    // claim and its message.
    let effects = Effects {
        outbox: vec![dm("summary", &slack("U3"))],
        requests_listed: vec![first.id, second.id, third.id + 100],
        ..Effects::default()
    };
    assert!(
        store
            .commit_occurrence("summary", listed, listed, &effects)
            .await
            .unwrap()
    );
    let listed_at =
        |store: S, id| async move { store.request(id).await.unwrap().unwrap().overdue_listed_at };
    assert_eq!(listed_at(store.clone(), first.id).await, Some(listed));
    assert_eq!(listed_at(store.clone(), second.id).await, Some(listed));
    assert_eq!(listed_at(store.clone(), third.id).await, None);
    assert_eq!(pending_keys(&store).await, ["summary"]);

    // Listed again a week later: the first instant stays; the third gets its own.
    let later = at(2024, 5, 20, 8, 0, 0);
    store
        .apply(
            &Effects {
                requests_listed: vec![second.id, third.id],
                ..Effects::default()
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(listed_at(store.clone(), second.id).await, Some(listed));
    assert_eq!(listed_at(store.clone(), third.id).await, Some(later));
    // A claimed occurrence again writes nothing.
    assert!(
        !store
            .commit_occurrence(
                "summary",
                listed,
                later,
                &Effects {
                    requests_listed: vec![first.id],
                    ..Effects::default()
                }
            )
            .await
            .unwrap()
    );
    assert_eq!(listed_at(store.clone(), first.id).await, Some(listed));
}
