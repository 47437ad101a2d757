//! SQL in one dialect (SQLite, which D1 speaks too), so every query is written once and runs
//! on both hosts. Rows come back as JSON objects and decode into typed structs with serde.

use serde::de::DeserializeOwned;
use std::borrow::Cow;

use crate::error::DbError;

/// A bound parameter. Integers travel as `i64`; D1 carries them as JS numbers (53-bit safe).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Self::Real(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl From<crate::BlobKey> for Param {
    fn from(v: crate::BlobKey) -> Self {
        Self::Text(v.into())
    }
}
impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A prepared statement: SQL with `?1`-style placeholders and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: Cow<'static, str>,
    pub params: Vec<Param>,
}

impl Statement {
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self { sql: sql.into(), params: Vec::new() }
    }

    #[must_use]
    pub fn bind(mut self, param: impl Into<Param>) -> Self {
        self.params.push(param.into());
        self
    }
}

/// One result row, column name → value.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// A row's `id` (`INSERT … RETURNING id`).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Id {
    pub id: i64,
}

/// Decodes rows into `T` by column name.
pub fn decode<T: DeserializeOwned>(rows: Vec<Row>) -> Result<Vec<T>, DbError> {
    rows.into_iter().map(decode_one).collect()
}

pub fn decode_one<T: DeserializeOwned>(row: Row) -> Result<T, DbError> {
    serde_json::from_value(serde_json::Value::Object(row)).map_err(|e| DbError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Pair {
        id: i64,
        name: Option<String>,
    }

    #[test]
    fn binds_in_order() {
        let stmt = Statement::new("SELECT ?1, ?2, ?3").bind(1_i64).bind("x").bind(None::<String>);
        assert_eq!(stmt.params, vec![Param::Int(1), Param::Text("x".into()), Param::Null]);
    }

    #[test]
    fn decodes_rows_by_column_name() {
        let row: Row = serde_json::from_str(r#"{"name": null, "id": 7}"#).expect("json");
        assert_eq!(decode::<Pair>(vec![row]).expect("decode"), vec![Pair { id: 7, name: None }]);
        let bad: Row = serde_json::from_str(r#"{"id": "seven"}"#).expect("json");
        assert!(matches!(decode::<Pair>(vec![bad]), Err(DbError::Decode(_))));
    }
}
