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

    /// The SQL with every integer parameter cast back to an integer where it is named, for a
    /// host that binds all numbers as reals (D1: JS numbers). Without it `7 / ?1` bound to 2 is
    /// 3.5 there and 3 in SQLite, and a time window `unixepoch() / ?1` changes every second.
    /// Placeholders inside string literals are left alone.
    pub fn sql_with_integer_casts(&self) -> Cow<'_, str> {
        let is_int =
            |n: usize| matches!(n.checked_sub(1).and_then(|i| self.params.get(i)), Some(Param::Int(_)));
        if !self.params.iter().any(|p| matches!(p, Param::Int(_))) {
            return Cow::Borrowed(&self.sql);
        }
        let sql: &str = &self.sql;
        let mut out = String::with_capacity(sql.len() + 64);
        let mut in_string = false;
        let mut rest = sql.char_indices();
        while let Some((at, c)) = rest.next() {
            if c == '\'' {
                in_string = !in_string;
            } else if c == '?' && !in_string {
                let digits = sql[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
                let number = sql[at + 1..at + 1 + digits].parse().unwrap_or(0);
                if digits > 0 && is_int(number) {
                    out.push_str("CAST(");
                    out.push_str(&sql[at..at + 1 + digits]);
                    out.push_str(" AS INTEGER)");
                    for _ in 0..digits {
                        rest.next();
                    }
                    continue;
                }
            }
            out.push(c);
        }
        Cow::Owned(out)
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
    #[test]
    fn integer_parameters_are_cast_where_named_and_nowhere_else() {
        let stmt = Statement::new("SELECT unixepoch() / ?2, ?1, '?2 stays' AS t, ?12 FROM x WHERE a = ?2")
            .bind("text")
            .bind(60_i64);
        assert_eq!(
            stmt.sql_with_integer_casts(),
            "SELECT unixepoch() / CAST(?2 AS INTEGER), ?1, '?2 stays' AS t, ?12 FROM x WHERE a = CAST(?2 AS INTEGER)"
        );
        let texts = Statement::new("SELECT ?1 — é").bind("only text");
        assert!(matches!(texts.sql_with_integer_casts(), Cow::Borrowed(_)));
        let unicode = Statement::new("SELECT '—' || ?1").bind(1_i64);
        assert_eq!(unicode.sql_with_integer_casts(), "SELECT '—' || CAST(?1 AS INTEGER)");
    }

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
