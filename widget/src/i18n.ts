// The widget's texts in English and Simplified Chinese, chosen by attribute or navigator.language.

const en = {
  open: 'Open chat',
  unread: (n: number) => `Open chat (${n} unread)`,
  close: 'Close chat',
  title: 'Assistant',
  newChat: 'New conversation',
  message: 'Message',
  send: 'Send',
  typing: 'Assistant is typing',
  looking: 'Looking that up…',
  retry: 'Retry',
  queued: 'Will be sent when you are back online',
  offline: 'You are offline. Messages will be sent when you reconnect.',
  welcome:
    'Hi! Ask a question below and the answer appears here. The conversation is kept when you come back.',
  rateLimited: (s: number) => `Too many messages. Please try again in ${s} s.`,
  session: 'Your session has ended. Please reload the page.',
  refused: 'The chat is not available on this page.',
  busy: 'Please wait for the answer to finish.',
  invalid: 'This message cannot be sent. Please shorten or change it.',
  unavailable: 'The assistant is unavailable. Please try again later.',
  network: 'Cannot reach the chat service. Please try again.',
  reconnecting: 'Connection lost. Reconnecting…',
  cut: 'The answer was cut off. Please try again.',
  generic: 'Something went wrong. Please try again.',
};

export type Texts = typeof en;

const zh: Texts = {
  open: '打开聊天',
  unread: (n) => `打开聊天（${n} 条未读）`,
  close: '关闭聊天',
  title: '智能助手',
  newChat: '新对话',
  message: '消息',
  send: '发送',
  typing: '助手正在输入',
  looking: '正在查询…',
  retry: '重试',
  queued: '联网后将自动发送',
  offline: '网络已断开，恢复连接后将自动发送消息。',
  welcome: '你好！在下方输入问题，回答会显示在这里。下次回来时对话仍会保留。',
  rateLimited: (s) => `发送太频繁了，请 ${s} 秒后再试。`,
  session: '会话已结束，请刷新页面后继续聊天。',
  refused: '此页面无法使用聊天。',
  busy: '上一条回答还在生成中，请稍候。',
  invalid: '这条消息无法发送，请缩短或修改后重试。',
  unavailable: '助手暂时无法使用，请稍后再试。',
  network: '无法连接聊天服务，请检查网络后重试。',
  reconnecting: '连接中断，正在重新连接…',
  cut: '回答被中断了，请重试。',
  generic: '出了点问题，请重试。',
};

/** `lang` attribute first, then the browser's languages; anything Chinese gets zh-CN texts. */
export function textsFor(attr: string | null, browser: readonly string[]): Texts {
  for (const l of attr ? [attr] : browser) {
    if (/^zh/i.test(l)) return zh;
    if (/^en/i.test(l)) return en;
  }
  return en;
}
