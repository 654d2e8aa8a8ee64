"""`patina oxidize`: embeddings and projections for semantic and hybrid `patina scry`."""

from __future__ import annotations

import click

from patina.cli.common import (db_option, echo_json, handle_errors, open_repo, progress_printer, repo_option,
                               say_waiting)


@click.command("oxidize")
@click.option("--model-path", metavar="DIR", default=None,
              help="A local model directory (model.onnx, tokenizer.json, configs); remembered for later calls. "
                   "Default: $PATINA_MODEL_PATH, the remembered one, or the recipe's model from fastembed's cache.")
@click.option("--full", is_flag=True, help="Drop every vector and projection, and embed everything again.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--json", "as_json", is_flag=True, help="The summary as JSON.")
@repo_option
@db_option
@handle_errors
def oxidize_cmd(model_path, full, quiet, as_json, repo_path, db_path):
    """Embed the log's knowledge and train its projections (semantic search for `patina scry`).

    Follows the committed recipe, .patina/oxidize.yaml (`patina init` writes one). Incremental:
    only documents past the last embedded one; a changed recipe or model starts over. Hooks never
    load a model: after a commit the next `patina scry` embeds what is new (a long backlog goes to a
    background job), so this is needed once, and after changing the recipe or the model.

    \b
    Examples:
      patina oxidize --model-path ~/models/all-MiniLM-L6-v2
      PATINA_MODEL_PATH=~/models/bge-small patina oxidize
      patina oxidize --full
    """
    from patina.oxidize.run import oxidize

    with progress_printer(quiet or as_json, task="embedding", unit="texts", minimum=64) as report:
        result = oxidize(open_repo(repo_path, db_path), model_path=model_path, full=full, progress=report,
                         waiting=say_waiting)
    if as_json:
        echo_json(result.as_dict())
    elif not quiet:
        click.echo("\n".join(result.lines()))
