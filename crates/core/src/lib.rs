//! The ambassador program, free of I/O: domain types, the command grammar, the use cases, the
//! platform-neutral message model, and the ports (store, clock) the adapters and the store implement.

pub mod command;
pub mod message;
pub mod model;
pub mod ports;
pub mod program;

pub use message::{Audience, Block, Inline, Message, Reply, Rich, render_plain};
pub use model::*;
pub use ports::{
    Clock, Destination, ManualClock, Messenger, Outgoing, SendError, Store, StoreError,
    StoreResult, SystemClock,
};
pub use program::{Inbound, Program, Settings, apology};
