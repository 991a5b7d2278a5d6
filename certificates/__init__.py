"""Statement of Results and certificate PDFs, amended certificates, certifying statements, QR codes."""
