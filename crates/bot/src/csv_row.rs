//! An export row as CSV columns, read from the row's own `Serialize` (the one its JSON comes
//! from), so a row's fields are declared once. The csv crate cannot do this itself: it writes no
//! header for a struct holding a list, and it has no two-column form for a list of people.
//!
//! Each field of the row struct is one column named after the field, its cell:
//! - text, numbers (a whole `f64` without `.0`), dates, `true`/`false`: as written;
//! - `None`: empty;
//! - a list of plain values (tags, labels): joined by spaces;
//! - [`People`]: two columns, the names (`receivers`) and the accounts (`receiver_accounts`),
//!   each joined by `; `. In JSON the same field is an array of `{name, account}`.

use serde::ser::{self, Impossible, Serialize, SerializeSeq, SerializeStruct, Serializer};
use std::fmt;

/// A person as exports name them.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Person {
    pub name: String,
    pub account: String,
}

/// People in one field of a row: an array of [`Person`] in JSON, two columns in CSV.
#[derive(Clone, Debug, Default)]
pub struct People(pub Vec<Person>);

const PEOPLE: &str = "People";

impl Serialize for People {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(PEOPLE, &self.0)
    }
}

/// Why a row cannot be written as CSV: a shape this module does not flatten (a programming error).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an export row cannot be written as CSV: {}", self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// The row's columns: (header, cell), in field order.
pub fn columns<R: Serialize>(row: &R) -> Result<Vec<(String, String)>, Error> {
    row.serialize(RowSerializer)
}

/// One field's value.
enum Cell {
    Text(String),
    List(Vec<String>),
    People(Vec<(String, String)>),
}

struct RowSerializer;

struct Fields(Vec<(String, String)>);

impl SerializeStruct for Fields {
    type Ok = Vec<(String, String)>;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match value.serialize(CellSerializer)? {
            Cell::Text(text) => self.0.push((key.into(), text)),
            Cell::List(items) => self.0.push((key.into(), items.join(" "))),
            Cell::People(people) => {
                let names: Vec<&str> = people.iter().map(|(n, _)| n.as_str()).collect();
                let accounts: Vec<&str> = people.iter().map(|(_, a)| a.as_str()).collect();
                let one = key.strip_suffix('s').unwrap_or(key);
                self.0.push((key.into(), names.join("; ")));
                self.0
                    .push((format!("{one}_accounts"), accounts.join("; ")));
            }
        }
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, Error> {
        Ok(self.0)
    }
}

/// The compound shapes neither a row nor a cell can be: refused with `$why`.
macro_rules! refuse_compounds {
    ($why:expr) => {
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Error> {
            Err(Error($why.into()))
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
            Err(Error($why.into()))
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Error> {
            Err(Error($why.into()))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Error> {
            Err(Error($why.into()))
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
            Err(Error($why.into()))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Error> {
            Err(Error($why.into()))
        }
    };
}

/// Only a struct is a row.
macro_rules! not_a_row {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Error> {
            Err(Error(concat!("a row must be a struct, not ", stringify!($method)).into()))
        })*
    };
}

impl Serializer for RowSerializer {
    type Ok = Vec<(String, String)>;
    type Error = Error;
    type SerializeSeq = Impossible<Self::Ok, Error>;
    type SerializeTuple = Impossible<Self::Ok, Error>;
    type SerializeTupleStruct = Impossible<Self::Ok, Error>;
    type SerializeTupleVariant = Impossible<Self::Ok, Error>;
    type SerializeMap = Impossible<Self::Ok, Error>;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Impossible<Self::Ok, Error>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Fields, Error> {
        Ok(Fields(Vec::with_capacity(len)))
    }

    not_a_row!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Self::Ok, Error> {
        Err(Error("a row must be a struct".into()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Error> {
        Err(Error("a row must be a struct".into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Error("a row must be a struct".into()))
    }

    refuse_compounds!("a row must be a struct");
}

/// A field's value as a cell: plain values, `None`, lists of plain values, [`People`].
struct CellSerializer;

macro_rules! as_text {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<Cell, Error> {
            Ok(Cell::Text(v.to_string()))
        })*
    };
}

impl Serializer for CellSerializer {
    type Ok = Cell;
    type Error = Error;
    type SerializeSeq = Items;
    type SerializeTuple = Impossible<Cell, Error>;
    type SerializeTupleStruct = Impossible<Cell, Error>;
    type SerializeTupleVariant = Impossible<Cell, Error>;
    type SerializeMap = Impossible<Cell, Error>;
    type SerializeStruct = Impossible<Cell, Error>;
    type SerializeStructVariant = Impossible<Cell, Error>;

    as_text!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
    );

    fn serialize_bytes(self, _: &[u8]) -> Result<Cell, Error> {
        Err(Error("bytes are not a cell".into()))
    }
    fn serialize_none(self) -> Result<Cell, Error> {
        Ok(Cell::Text(String::new()))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Cell, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Cell, Error> {
        Ok(Cell::Text(String::new()))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Cell, Error> {
        Ok(Cell::Text(String::new()))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Cell, Error> {
        Ok(Cell::Text(variant.into()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Cell, Error> {
        if name != PEOPLE {
            return value.serialize(self);
        }
        let people = serde_json::to_value(value).map_err(|e| Error(e.to_string()))?;
        let text =
            |p: &serde_json::Value, key: &str| p[key].as_str().unwrap_or_default().to_string();
        Ok(Cell::People(
            people
                .as_array()
                .map(|list| {
                    list.iter()
                        .map(|p| (text(p, "name"), text(p, "account")))
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items, Error> {
        Ok(Items(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(Error(
            "a struct is not a cell: use People for people".into(),
        ))
    }

    refuse_compounds!("a cell holds text, a number, a date, a list of them or People");
}

/// The items of a list of plain values.
struct Items(Vec<String>);

impl SerializeSeq for Items {
    type Ok = Cell;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        match value.serialize(CellSerializer)? {
            Cell::Text(text) => {
                self.0.push(text);
                Ok(())
            }
            _ => Err(Error("a list in a cell holds plain values only".into())),
        }
    }

    fn end(self) -> Result<Cell, Error> {
        Ok(Cell::List(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[derive(Default, serde::Serialize)]
    struct Row {
        day: NaiveDate,
        name: String,
        count: usize,
        days: Option<f64>,
        until: Option<NaiveDate>,
        tags: Vec<String>,
        receivers: People,
    }

    #[test]
    fn each_field_is_a_column_and_people_are_two() {
        let row = Row {
            day: NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
            name: "Ada".into(),
            count: 3,
            days: Some(2.0),
            until: None,
            tags: vec!["docs".into(), "talk".into()],
            receivers: People(vec![
                Person {
                    name: "Bob".into(),
                    account: "slack:U2".into(),
                },
                Person {
                    name: "Cy".into(),
                    account: "slack:U3".into(),
                },
            ]),
        };
        let columns = columns(&row).unwrap();
        let expected = [
            ("day", "2027-01-04"),
            ("name", "Ada"),
            ("count", "3"),
            ("days", "2"),
            ("until", ""),
            ("tags", "docs talk"),
            ("receivers", "Bob; Cy"),
            ("receiver_accounts", "slack:U2; slack:U3"),
        ];
        let columns: Vec<(&str, &str)> = columns
            .iter()
            .map(|(h, c)| (h.as_str(), c.as_str()))
            .collect();
        assert_eq!(columns, expected);
        // An empty row still has every column, people two: the header of an empty export.
        let header: Vec<String> = super::columns(&Row::default())
            .unwrap()
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        assert_eq!(header.len(), 8);
        // JSON keeps people as objects.
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["receivers"][1]["account"], "slack:U3");
        assert_eq!(json["days"], 2.0);
    }

    #[test]
    fn a_half_day_keeps_its_fraction() {
        #[derive(serde::Serialize)]
        struct R {
            days: f64,
        }
        assert_eq!(columns(&R { days: 1.5 }).unwrap()[0].1, "1.5");
    }
}
