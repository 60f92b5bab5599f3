/**
 * The kiosk's quick topics: the most asked matters of a district hall, each a question pinned to its guide
 * (ids from knowledge/; a test checks they exist). A district changes this list, not the widget.
 */
export interface QuickTopic {
  label: { 'zh-CN': string; en: string };
  question: string;
  matterId: string;
}

export const QUICK_TOPICS: QuickTopic[] = [
  { label: { 'zh-CN': '办居住证', en: 'Residence permit' }, question: '办上海市居住证要准备什么材料？', matterId: 'wh-040' },
  { label: { 'zh-CN': '新生儿报户口', en: 'Register a newborn' }, question: '给孩子报户口要带什么材料？', matterId: 'wh-044' },
  { label: { 'zh-CN': '租房提取公积金', en: 'Housing fund (rent)' }, question: '租房提取住房公积金怎么办？', matterId: 'rs-057' },
  { label: { 'zh-CN': '打印社保记录', en: 'Social insurance record' }, question: '怎么查询打印社保缴费记录？', matterId: 'rs-042' },
  { label: { 'zh-CN': '个体户营业执照', en: 'Sole trader licence' }, question: '办个体工商户营业执照要什么材料？', matterId: 'qy-008' },
  { label: { 'zh-CN': '换领身份证', en: 'Renew ID card' }, question: '身份证到期了怎么换领？', matterId: 'wh-051' },
];
