"""qbXML 13.0: building request documents, reading responses, checking them against the XSD."""
