#!/usr/bin/python3
"""An AI worker written the way a Python service would be: pika, blocking connection.

Usage: pika_worker.py AMQP_URL QUEUE
Consumes QUEUE and replies to each message's reply_to with its correlation_id:
  {"worker": "pika", "type": <message type>, "echo": <request body>}
A request whose recipe_text is "fail" gets an error reply (header x-status: error).
Prints "ready" once it consumes; exits on SIGTERM or SIGINT.
"""
import json
import signal
import sys

import pika


def main() -> None:
    url, queue = sys.argv[1], sys.argv[2]
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True)
    channel.basic_qos(prefetch_count=50)

    def on_request(ch, method, props, body):
        try:
            request = json.loads(body.decode("utf-8"))
        except ValueError:
            request = None
        headers = {}
        if isinstance(request, dict) and request.get("recipe_text") == "fail":
            reply = {"message": "pika worker refused the recipe"}
            headers["x-status"] = "error"
        else:
            reply = {"worker": "pika", "type": props.type, "echo": request}
        if props.reply_to:
            ch.basic_publish(
                exchange="",
                routing_key=props.reply_to,
                properties=pika.BasicProperties(
                    correlation_id=props.correlation_id,
                    content_type="application/json",
                    headers=headers,
                ),
                body=json.dumps(reply).encode("utf-8"),
            )
        ch.basic_ack(delivery_tag=method.delivery_tag)

    def stop(*_):
        # Interrupts the blocking wait at once (stop_consuming would wait for pika's next poll).
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    channel.basic_consume(queue=queue, on_message_callback=on_request)
    print("ready", flush=True)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        pass
    connection.close()


if __name__ == "__main__":
    main()
