"""What more than one audience's pages share: the form base class, the password-reset pages, PDF downloads and
the board's published documents. Nothing here imports an audience package."""
