//! The ambassador program, free of I/O: domain types, the command grammar, the use cases, the
//! platform-neutral message model, and the ports (store, clock) the adapters and the store implement.

pub mod command;
pub mod form;
pub mod message;
pub mod model;
pub mod ports;
pub mod program;
#[cfg(feature = "testing")]
pub mod testing;

pub use form::{Form, FormField, FormKind, FormOpening, Submitted};
pub use message::{
    Action, Audience, Block, Button, ButtonStyle, Inline, Message, Reply, Rich, escape_html,
    render_markdown, render_plain, split_message,
};
pub use model::*;
pub use ports::store_ports;
pub use ports::{
    ActivityStore, AnnouncementStore, CheckinStore, Clock, CoordinationStore, Destination,
    KudosStore, LifecycleStore, ManualClock, Messenger, OrgStore, OutboxStore, Outgoing,
    PeopleStore, RequestStore, RosterStore, SchedulerStore, SendError, SignInStore, SimClock,
    StorageFault, Store, StoreError, StoreResult, SystemClock,
};
pub use program::{
    CheckinSettings, Cron, DashboardSettings, DigestSettings, DispatchReport, DispatchSettings,
    Dispatcher, EmptyWeek, Inbound, Job, JobKind, LifecycleSettings, Program, RequestFigures,
    RequestSettings, Settings, TickReport, apology, request_figures,
};
