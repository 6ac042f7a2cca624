from nodes.cli.main import app

app(prog_name="provledger")
