"""Importing resident files from spreadsheets: reading uploads safely, and planning then
applying an import of residents."""
