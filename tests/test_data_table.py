"""Every table the migrations create is in bot/privacy/holdings.py, with each column that names a person, and
the README's data table is written from it: a new table cannot escape the table of what is kept and why."""

from pathlib import Path

from sqlalchemy import inspect

from bot.privacy.holdings import BY_TABLE, HOLDINGS, NOT_PERSONAL, data_table
from storage.db import Database

README = Path(__file__).resolve().parent.parent / "README.md"
PERSON_KEY = ("persons", "id")


async def schema(db: Database) -> dict[str, dict[str, tuple[str, str] | None]]:
    """Each table of the migrated database: its columns, with the (table, column) a foreign key points at."""

    def read(connection) -> dict[str, dict[str, tuple[str, str] | None]]:  # type: ignore[no-untyped-def]
        inspector = inspect(connection)
        tables = {}
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            pointing = {}
            for key in inspector.get_foreign_keys(table):
                for column, referred in zip(key["constrained_columns"], key["referred_columns"], strict=True):
                    pointing[column] = (key["referred_table"], referred)
            tables[table] = {column["name"]: pointing.get(column["name"]) for column in inspector.get_columns(table)}
        return tables

    async with db.engine.connect() as connection:
        return await connection.run_sync(read)


async def test_every_table_of_the_database_is_described(db):
    tables = await schema(db)
    assert sorted(tables) == sorted(BY_TABLE), "describe each new table in bot/privacy/holdings.py"
    assert len(BY_TABLE) == len(HOLDINGS)  # no table twice


async def test_every_column_naming_a_person_is_known(db):
    for table, columns in (await schema(db)).items():
        holding = BY_TABLE[table]
        naming = {column for column, target in columns.items() if target == PERSON_KEY}
        if table == "persons":
            naming.add("id")
        assert naming == set(holding.person_columns), table
        if naming or holding.pair_column:
            assert holding.forget != NOT_PERSONAL, table
        for column in (*holding.secret_columns, *([holding.pair_column] if holding.pair_column else [])):
            assert column in columns, f"{table}.{column}"
        if holding.pair_column:
            assert columns[holding.pair_column] == ("pairs", "id"), table


def test_the_readme_holds_the_data_table_as_written_from_the_holdings():
    assert data_table() in README.read_text(encoding="utf-8"), "paste bot.privacy.holdings.data_table() into README"


def test_each_line_says_what_why_and_how_long():
    for holding in HOLDINGS:
        assert holding.what and holding.why and holding.kept, holding.table
        assert "|" not in holding.what + holding.why + holding.kept, holding.table  # would break the table
